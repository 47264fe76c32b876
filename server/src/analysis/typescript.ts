// The TypeScript compiler API, imported once. Every module of the analysis imports `ts` from here
// rather than from 'typescript': in the bundles, each import of the CommonJS 'typescript' package
// by one of our modules copied its several thousand exports into a fresh namespace object (esbuild's
// interop), 22 times in the command line, a tenth of a small `check`'s start-up.
import ts from 'typescript';

export default ts;
