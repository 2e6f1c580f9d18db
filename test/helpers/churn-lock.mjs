// Takes and lets go of the write lock in a loop, as the service does around each of its jobs:
//   node churn-lock.mjs DATABASE
// Prints "locked PID" once it has held the lock the first time; runs until killed.
import { StoreLock } from '../../dist/io/lock.js';

let announced = false;
for (;;) {
  const lock = await StoreLock.acquire(process.argv[2], 'write', { waitMs: 60_000 });
  if (!announced) {
    process.stdout.write(`locked ${process.pid}\n`);
    announced = true;
  }
  await new Promise((r) => setTimeout(r, 2));
  lock.release();
  await new Promise((r) => setImmediate(r));
}
