import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const EXAMPLES = path.join(ROOT, 'examples');
export const GOOD_EXAMPLE = path.join(EXAMPLES, 'producer-consumer.ts');
export const BROKEN_EXAMPLE = path.join(EXAMPLES, 'producer-consumer-no-sentinel.ts');
export const DIST = path.join(ROOT, 'dist');
