// Runs the real CLI in this process and kills it with SIGKILL at a chosen point of an
// erase, as `kill -9` or a power cut would:
//   node crash-erase.mjs POINT[:N] ARGS…
// POINT: after-commit (the erasure's transaction committed) | rewrite:N (N files of the
// erased days written again) | before-vacuum (days rewritten, the store not yet rebuilt).
import { SqliteStore } from '../../dist/io/store/index.js';
import { main } from '../../dist/main.js';

const [spec, ...args] = process.argv.slice(2);
const [point, nText] = spec.split(':');
const n = Number(nText ?? 1);
const die = () => process.kill(process.pid, 'SIGKILL');
const proto = SqliteStore.prototype;

if (point === 'after-commit') {
  const erase = proto.eraseAddress;
  proto.eraseAddress = function (key, dryRun, now) {
    const r = erase.call(this, key, dryRun, now);
    if (!dryRun) die();
    return r;
  };
}
if (point === 'rewrite') {
  const record = proto.recordExport;
  let written = 0;
  proto.recordExport = function (rec) {
    record.call(this, rec);
    if (++written >= n) die();
  };
}
if (point === 'before-vacuum') {
  proto.compactAfterErasure = die;
}
process.exitCode = await main(args);
