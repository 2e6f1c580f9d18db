// Runs one ingest with the real store and SFTP source, and kills itself with SIGKILL at a
// chosen point, as a power cut or `kill -9` would:
//   node crash-ingest.mjs CONFIG POINT[:N]
// POINT: list | read:N (after N files fetched) | commit-item:N (inside the transaction, after
// N files) | after-commit[:N] (N commits done, default 1, before their files move) |
// rename:N (after N files moved). Env BATCH_SIZE and SLICE_EVENTS size the rounds and slices.
import { loadConfig } from '../../dist/config/load.js';
import { openStore } from '../../dist/jobs/index.js';
import { SftpSource } from '../../dist/io/sftp/index.js';
import { runIngest } from '../../dist/pipeline/ingest/index.js';

const [configFile, spec] = process.argv.slice(2);
const [point, nText] = spec.split(':');
const n = Number(nText ?? 0);
const die = () => process.kill(process.pid, 'SIGKILL');
let counter = 0;
const tick = () => {
  counter += 1;
  if (counter >= n) die();
};

const config = loadConfig(configFile);
const { store } = await openStore(config);
const real = await SftpSource.connect(config.sftp);
const source = {
  list: (dir) => real.list(dir),
  listEach: async (dir, visit) => {
    await real.listEach(dir, visit);
    if (point === 'list') die();
  },
  read: async (...args) => {
    const r = await real.read(...args);
    if (point === 'read') tick();
    return r;
  },
  readHead: (p, b) => real.readHead(p, b),
  move: async (a, b) => {
    const landed = await real.move(a, b);
    if (point === 'rename') tick();
    return landed;
  },
  stat: (p) => real.stat(p),
  remove: (p) => real.remove(p),
  exists: (p) => real.exists(p),
  ensureDir: (p) => real.ensureDir(p),
  close: () => real.close(),
};
if (point === 'commit-item') {
  // The store's ingest part (io/store/ingest.ts) commits a batch one file at a time.
  const { ledger } = store;
  const commitItem = ledger.commitItem.bind(ledger);
  ledger.commitItem = (item, now) => {
    const r = commitItem(item, now);
    tick();
    return r;
  };
}
if (point === 'after-commit') {
  const commitBatch = store.commitBatch.bind(store);
  store.commitBatch = (items, now) => {
    const r = commitBatch(items, now);
    tick();
    return r;
  };
}
const log = { debug() {}, info() {}, warn() {}, error() {} };
const summary = await runIngest(
  { source, store, log, clock: Date.now },
  {
    ...config.sftp,
    sourceTimeZone: config.source.timezone,
    batchSize: Number(process.env.BATCH_SIZE ?? 1000),
    ...(process.env.SLICE_EVENTS ? { sliceEvents: Number(process.env.SLICE_EVENTS) } : {}),
  },
);
console.log(JSON.stringify(summary));
process.exit(0);
