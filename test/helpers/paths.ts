import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const EXAMPLES = path.join(ROOT, 'examples');
export const GOOD_EXAMPLE = path.join(EXAMPLES, 'producer-consumer.ts');
export const BROKEN_EXAMPLE = path.join(EXAMPLES, 'producer-consumer-no-sentinel.ts');
/** The built server; PROCESS_TOPOLOGY_DIST points a long run (the fuzz benchmark) at a copy, so rebuilding meanwhile does not change it. */
export const DIST = process.env.PROCESS_TOPOLOGY_DIST ? path.resolve(process.env.PROCESS_TOPOLOGY_DIST) : path.join(ROOT, 'dist');
