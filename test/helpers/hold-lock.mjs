// Takes the store lock and holds it until killed:  node hold-lock.mjs DATABASE
// Prints "locked PID" once it holds the lock.
import { StoreLock } from '../../dist/io/lock.js';

StoreLock.acquire(process.argv[2]);
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => {}, 1 << 30);
