import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { describeError } from '../errors.js';
import type { ExportChunk, ExportOptions, RenderReport } from '../pipeline/export-run.js';

/** Slots of a job's control array (an Int32Array over a SharedArrayBuffer). */
export const CREDITS = 0;
export const CANCELLED = 1;
/** Pages (250 rows each by default) a worker may render ahead of the writer. */
const WINDOW = 8;

/** Export settings as a worker receives them (report definitions are looked up by name). */
export type WorkerExportOptions = Omit<ExportOptions, 'reports'>;

export type RenderJob = {
  id: number;
  dbPath: string;
  busyTimeoutMs: number;
  report: string;
  day: string;
  opts: WorkerExportOptions;
  control: SharedArrayBuffer;
};

export type WorkerMessage =
  | { type: 'chunk'; id: number; file: number; data: string | Uint8Array }
  | { type: 'done'; id: number; rows: number }
  | { type: 'error'; id: number; message: string; code?: string };

/** Threads an export renders reports in: up to 4, and no more than the machine's CPUs. */
export function exportThreads(): number {
  return Math.min(4, os.availableParallelism());
}

/**
 * A pool of worker threads that render reports (`report-worker.ts`), each with its own
 * read-only connection to the store; `render` is the export's `RenderReport`. The files come
 * back chunk by chunk and are written by the caller, in this thread, as they arrive.
 */
export class ReportWorkers {
  private readonly idle: Worker[] = [];
  private readonly queue: ((w: Worker) => void)[] = [];
  private readonly all = new Set<Worker>();
  private readonly opts: WorkerExportOptions;
  private nextId = 0;

  constructor(
    private readonly settings: {
      dbPath: string;
      busyTimeoutMs: number;
      opts: ExportOptions;
      size: number;
      /** The worker script (default: `report-worker.js` beside this module). */
      workerUrl?: URL;
    },
  ) {
    this.opts = Object.fromEntries(
      Object.entries(settings.opts).filter(([key]) => key !== 'reports'),
    ) as WorkerExportOptions;
  }

  readonly render: RenderReport = (report, day, counter) => this.stream(report.name, day, counter);

  /** Stops every thread. */
  async close(): Promise<void> {
    const all = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  private acquire(): Promise<Worker> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.all.size < this.settings.size) {
      const url = this.settings.workerUrl ?? new URL('./report-worker.js', import.meta.url);
      // A small young generation: a worker's garbage is short-lived row strings, and each
      // thread's heap counts towards the export's peak memory.
      const worker = new Worker(url, { resourceLimits: { maxYoungGenerationSizeMb: 4 } });
      this.all.add(worker);
      return Promise.resolve(worker);
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(worker: Worker, usable: boolean): void {
    if (!usable) {
      this.all.delete(worker);
      void worker.terminate();
      // A waiting job gets a fresh thread instead.
      const next = this.queue.shift();
      if (next) void this.acquire().then(next);
      return;
    }
    const next = this.queue.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private async *stream(
    report: string,
    day: string,
    counter: { rows: number },
  ): AsyncGenerator<ExportChunk> {
    const worker = await this.acquire();
    const id = ++this.nextId;
    const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    control[CREDITS] = WINDOW;
    const inbox: WorkerMessage[] = [];
    let wake: (() => void) | undefined;
    const deliver = (m: WorkerMessage): void => {
      inbox.push(m);
      wake?.();
    };
    const onMessage = (m: WorkerMessage): void => {
      if (m.id === id) deliver(m);
    };
    let broken = false;
    const onError = (err: Error): void => {
      broken = true;
      deliver({ type: 'error', id, message: `report thread failed: ${describeError(err)}` });
    };
    const onExit = (code: number): void => {
      broken = true;
      deliver({ type: 'error', id, message: `report thread exited with code ${code}` });
    };
    const next = async (): Promise<WorkerMessage> => {
      while (!inbox.length) await new Promise<void>((resolve) => (wake = resolve));
      return inbox.shift() as WorkerMessage;
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const job: RenderJob = {
      id,
      dbPath: this.settings.dbPath,
      busyTimeoutMs: this.settings.busyTimeoutMs,
      report,
      day,
      opts: this.opts,
      control: control.buffer as SharedArrayBuffer,
    };
    worker.postMessage(job);
    let finished = false;
    try {
      for (;;) {
        const m = await next();
        if (m.type === 'chunk') {
          yield { file: m.file, data: m.data };
          Atomics.add(control, CREDITS, 1);
          Atomics.notify(control, CREDITS);
        } else if (m.type === 'done') {
          finished = true;
          counter.rows = m.rows;
          return;
        } else {
          finished = true;
          throw Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code });
        }
      }
    } finally {
      if (!finished && !broken) {
        // The writer stopped early (a failed write): the worker stops at its next page and
        // says so before it takes another job.
        Atomics.store(control, CANCELLED, 1);
        Atomics.notify(control, CREDITS);
        for (let m = await next(); m.type === 'chunk'; m = await next());
      }
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.release(worker, !broken);
    }
  }
}
