// Takes one of the store's locks and holds it until killed:
//   node [--expose-gc] hold-lock.mjs DATABASE [write|service]
// Prints "locked PID" once it holds the lock.
import { StoreLock } from '../../dist/io/lock.js';

// Kept referenced: a lock object nobody refers to is collected (Node 22 does it soon enough),
// its connection closed by the finalizer, and the lock is gone with it.
globalThis.heldLock = StoreLock.tryAcquire(process.argv[2], process.argv[3] ?? 'write');
// With --expose-gc, collect now: the lock must survive a collection.
globalThis.gc?.();
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => globalThis.gc?.(), 100);
