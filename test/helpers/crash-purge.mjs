// Runs the real CLI in this process and kills it with SIGKILL at a chosen point of a
// purge, as `kill -9` or a power cut would:
//   node crash-purge.mjs POINT[:N] ARGS…
// POINT: record:N (the N-th old CSV deleted, its record not yet forgotten) | after-record:N
// (the N-th deleted and forgotten) | manifest (everything removed, the new manifest written
// to its temp file but not renamed into place).
import fs from 'node:fs';
import { SqliteStore } from '../../dist/io/store/index.js';
import { main } from '../../dist/main.js';

const [spec, ...args] = process.argv.slice(2);
const [point, nText] = spec.split(':');
const n = Number(nText ?? 1);
const die = () => process.kill(process.pid, 'SIGKILL');

const forget = SqliteStore.prototype.removeExportRecord;
let forgotten = 0;
SqliteStore.prototype.removeExportRecord = function (report, day) {
  forgotten++;
  if (point === 'record' && forgotten === n) die();
  forget.call(this, report, day);
  if (point === 'after-record' && forgotten === n) die();
};
if (point === 'manifest') {
  const rename = fs.promises.rename;
  fs.promises.rename = async (from, to) => {
    if (String(to).endsWith('manifest.json')) die();
    return rename(from, to);
  };
}
process.exitCode = await main(args);
