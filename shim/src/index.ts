// @process-topology/multiprocessing: Python's multiprocessing for TypeScript (see shim/README.md).
export { Empty, Full, ProcessError } from './errors';
export {
  Process,
  activeChildren,
  cpuCount,
  currentProcess,
  isMainProcess,
  parentProcess,
  type ProcessOptions,
} from './process';
export { Queue } from './queue';
