/**
 * A worker thread of `report-workers.ts`: renders one report's day at a time from its own
 * read-only connection and posts its files chunk by chunk (CSV text some pages at a time,
 * Parquet bytes a row group at a time, from the same pass over the rows). It posts a chunk only
 * while it holds a credit (a slot of a SharedArrayBuffer the main thread refills as it writes), so a
 * slow disk holds the worker back instead of filling memory; the second slot asks it to stop.
 */
import { parentPort } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { reportChunks, reportContext, reportParams } from '../pipeline/export/render.js';
import { REPORTS } from '../reports/index.js';
import { createParquetEncoder } from '../io/parquet.js';
import { SqliteStore } from '../io/store/index.js';
import { CANCELLED, CREDITS, type RenderJob, type WorkerMessage } from './report-workers.js';

let store: SqliteStore | undefined;

function render(job: RenderJob): void {
  const post = (m: WorkerMessage): void => parentPort?.postMessage(m);
  const control = new Int32Array(job.control);
  try {
    if (!store) {
      store = new SqliteStore({
        path: job.dbPath,
        busyTimeoutMs: job.busyTimeoutMs,
        exportTimeZone: job.opts.timeZone,
        readonly: true,
      });
      // A report reads its day in index order: 4 MB of page cache (not better-sqlite3's 16)
      // reads it as fast, and every thread's cache counts towards the export's memory.
      store.db.pragma('cache_size = -4000');
    }
    const report = REPORTS.find((r) => r.name === job.report);
    if (!report) throw new Error(`no report named ${job.report}`);
    const counter = { rows: 0 };
    const params = reportParams(job.opts, job.day);
    const chunks = reportChunks(
      store,
      report,
      job.range ? { ...params, ...job.range } : params,
      reportContext(job.opts, job.day),
      job.opts,
      counter,
      createParquetEncoder,
      { csv: job.csv, parquet: job.parquet, header: job.header },
    );
    for (const chunk of chunks) {
      // Sleeps while there is no credit and no request to stop.
      while (Atomics.load(control, CREDITS) <= 0 && Atomics.load(control, CANCELLED) === 0)
        Atomics.wait(control, CREDITS, Atomics.load(control, CREDITS));
      if (Atomics.load(control, CANCELLED) !== 0) break;
      Atomics.sub(control, CREDITS, 1);
      // Parquet bytes move to the main thread instead of being copied, when they own their
      // memory: a view into a shared pool (Node's small Buffers) cannot be transferred (Node
      // 22 and later refuse it), so it is copied.
      if (typeof chunk.data === 'string')
        post({ type: 'chunk', id: job.id, file: chunk.file, data: chunk.data });
      else {
        const data = ownsItsMemory(chunk.data) ? chunk.data : new Uint8Array(chunk.data);
        parentPort?.postMessage({ type: 'chunk', id: job.id, file: chunk.file, data }, [
          data.buffer as ArrayBuffer,
        ]);
      }
    }
    post({ type: 'done', id: job.id, rows: counter.rows });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    post({
      type: 'error',
      id: job.id,
      message: describeError(err),
      ...(typeof code === 'string' ? { code } : {}),
    });
  }
}

/**
 * True when `bytes` is the whole of an ArrayBuffer of its own, too large to come from
 * Node's Buffer pool (allocations under half of Buffer.poolSize share one): it can be
 * transferred.
 */
function ownsItsMemory(bytes: Uint8Array): boolean {
  return (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.byteLength >= Buffer.poolSize &&
    bytes.buffer instanceof ArrayBuffer
  );
}

parentPort?.on('message', (job: RenderJob) => render(job));
