// A hung network mount, for the language server's analysis threads: preloaded with
// `node --require` (worker threads load it too), it makes every file-system call on a path under
// a folder named `hung-mount` block in the kernel, as a stat or open on a dead NFS server does:
// the thread opens a FIFO that no one ever opens for writing (PT_HUNG_FIFO). Such a thread cannot
// be stopped by Worker.terminate(), and Node's exit waits for it. The main thread is left alone.
'use strict';
const { isMainThread } = require('node:worker_threads');
const fs = require('node:fs');

const fifo = process.env.PT_HUNG_FIFO;
if (!isMainThread && fifo) {
  const open = fs.openSync;
  const hangs = (p) => (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) && /(^|[\\/])hung-mount([\\/]|$)/.test(String(p));
  for (const name of ['statSync', 'lstatSync', 'openSync', 'readFileSync', 'readdirSync', 'existsSync', 'accessSync', 'realpathSync']) {
    const original = fs[name];
    const wrapped = function (p, ...rest) {
      if (hangs(p)) open(fifo, 'r'); // blocks forever: nobody writes
      return original.call(this, p, ...rest);
    };
    if (original.native) wrapped.native = function (p, ...rest) {
      if (hangs(p)) open(fifo, 'r');
      return original.native.call(this, p, ...rest);
    };
    fs[name] = wrapped;
  }
}
