import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { dayRange } from '../core/days.js';
import { describeError } from '../errors.js';
import type { ExportChunk, RenderReport } from '../pipeline/export/ports.js';
import { exportFormats, type ExportOptions } from '../pipeline/export/options.js';
import { reportFileName, type ReportDefinition } from '../reports/index.js';
import { tempNameFor } from '../io/files/export-files.js';
import { DEFAULT_DIR_MODE, makeDirs } from '../io/files/modes.js';

/** Slots of a job's control array (an Int32Array over a SharedArrayBuffer). */
export const CREDITS = 0;
export const CANCELLED = 1;
/** Chunks (8 Ki characters of CSV each by default) a worker may render ahead of the writer. */
const WINDOW = 8;

/** Export settings as a worker receives them (report definitions are looked up by name). */
export type WorkerExportOptions = Omit<ExportOptions, 'reports'>;

/** What one job renders: a report's day, or a time slice of it, in some of its formats. */
export type RenderJob = {
  id: number;
  dbPath: string;
  busyTimeoutMs: number;
  report: string;
  day: string;
  opts: WorkerExportOptions;
  control: SharedArrayBuffer;
  /** A time slice of the day (epoch ms, half-open); the whole day when absent. */
  range?: { start: number; end: number };
  /** Which files the job renders, and whether the CSV starts with the header (and BOM). */
  csv: boolean;
  parquet: boolean;
  header: boolean;
};

export type WorkerMessage =
  | { type: 'chunk'; id: number; file: number; data: string | Uint8Array }
  | { type: 'done'; id: number; rows: number }
  | { type: 'error'; id: number; message: string; code?: string };

/** Threads an export renders reports in: up to 4, and no more than the machine's CPUs. */
export function exportThreads(): number {
  return Math.min(4, os.availableParallelism());
}

/** A job running on a worker, as the stream that started it sees it. */
type Running = {
  id: number;
  control: Int32Array;
  /** Settles when the job's last message (done or error) arrived, or its thread died. */
  finished: Promise<void>;
  over: boolean;
  rows: number;
  error?: Error;
};

/**
 * A pool of worker threads that render reports (`report-worker.ts`), each with its own
 * read-only connection to the store; `render` is the export's `RenderReport`. The files come
 * back chunk by chunk and are written by the caller, in this thread, as they arrive.
 *
 * When the export writes CSV only, a report whose rows are ordered by time (`timeOrdered`)
 * is rendered in as many time slices of its day as there are threads, side by side: the
 * first slice's CSV is passed on as it comes, the later ones are kept in temp files beside
 * the target (named like the writer's temp files, so a killed export's are removed by the
 * next) and passed on in order after it. A long report then no longer keeps one thread busy
 * while the others wait.
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
      /** The mode of export folders this creates for temp files (default 0750). */
      dirMode?: number;
    },
  ) {
    this.opts = Object.fromEntries(
      Object.entries(settings.opts).filter(([key]) => key !== 'reports'),
    ) as WorkerExportOptions;
  }

  readonly render: RenderReport = (report, day, counter) => this.stream(report, day, counter);

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

  /**
   * Starts a job on the next free thread; `onChunk` gets its chunks in order, `onEnd` its
   * row count. The thread goes back to the pool with the job's last message.
   */
  private start(
    spec: Omit<RenderJob, 'id' | 'dbPath' | 'busyTimeoutMs' | 'opts' | 'control'>,
    onChunk: (job: Running, file: number, data: string | Uint8Array) => void,
    onEnd: () => void = () => undefined,
  ): Running {
    const id = ++this.nextId;
    const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    control[CREDITS] = WINDOW;
    let settle: () => void = () => undefined;
    const job: Running = {
      id,
      control,
      over: false,
      rows: 0,
      finished: new Promise<void>((resolve) => (settle = resolve)),
    };
    void this.acquire().then((worker) => {
      const end = (usable: boolean, error?: Error): void => {
        if (job.over) return;
        job.over = true;
        if (error) job.error = error;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.release(worker, usable);
        settle();
        onEnd();
      };
      const onMessage = (m: WorkerMessage): void => {
        if (m.id !== id || job.over) return;
        if (m.type === 'chunk') onChunk(job, m.file, m.data);
        else if (m.type === 'done') {
          job.rows = m.rows;
          end(true);
        } else
          end(
            true,
            Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }),
          );
      };
      const onError = (err: Error): void =>
        end(false, new Error(`report thread failed: ${describeError(err)}`));
      const onExit = (code: number): void =>
        end(false, new Error(`report thread exited with code ${code}`));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      // A job cancelled before it got a thread still runs, and stops at its first page.
      const job_: RenderJob = {
        ...spec,
        id,
        dbPath: this.settings.dbPath,
        busyTimeoutMs: this.settings.busyTimeoutMs,
        opts: this.opts,
        control: control.buffer as SharedArrayBuffer,
      };
      worker.postMessage(job_);
    });
    return job;
  }

  private async *stream(
    report: ReportDefinition,
    day: string,
    counter: { rows: number },
  ): AsyncGenerator<ExportChunk> {
    const parquet = exportFormats(this.opts).includes('parquet');
    // With Parquet a report is one pass for both files: its Parquet cannot be cut in slices,
    // and a second pass over the day for it costs more CPU than the slices win back.
    const slices = report.timeOrdered && !parquet ? Math.max(1, this.settings.size) : 1;
    const { startMs, endMs } = dayRange(day, this.opts.timeZone);
    const edge = (i: number) => startMs + Math.floor(((endMs - startMs) * i) / slices);
    const base = { report: report.name, day };

    // Chunks of the jobs whose output is passed on as it comes, in arrival order.
    const inbox: { job: Running; file: number; data: string | Uint8Array }[] = [];
    let wake: (() => void) | undefined;
    const live: Running[] = [];
    const toInbox = (job: Running, file: number, data: string | Uint8Array): void => {
      inbox.push({ job, file, data });
      wake?.();
    };
    // A job may end (done, error or a dead thread) without a chunk to wake the loop.
    const ended = (): void => wake?.();
    const credit = (job: Running): void => {
      Atomics.add(job.control, CREDITS, 1);
      Atomics.notify(job.control, CREDITS);
    };

    live.push(
      this.start(
        {
          ...base,
          ...(slices > 1 ? { range: { start: edge(0), end: edge(1) } } : {}),
          csv: true,
          parquet,
          header: true,
        },
        toInbox,
        ended,
      ),
    );

    // The later slices' CSV, kept in temp files until the first slice is passed on.
    const spills: { job: Running; file: string; written: Promise<void> }[] = [];
    const target = path.join(this.opts.dir, reportFileName(report.name, day, 'csv'));
    try {
      if (slices > 1)
        await makeDirs(path.dirname(target), this.settings.dirMode ?? DEFAULT_DIR_MODE);
      for (let i = 1; i < slices; i++) {
        const file = tempNameFor(target, randomBytes(8).toString('hex'));
        const handle = await fs.promises.open(file, 'wx', 0o600);
        let writing = Promise.resolve();
        let failed: unknown;
        const job = this.start(
          {
            ...base,
            range: { start: edge(i), end: edge(i + 1) },
            csv: true,
            parquet: false,
            header: false,
          },
          (j, _file, data) => {
            writing = writing
              // writeFile writes every byte (a plain write may be partial on a full disk).
              .then(() =>
                handle.writeFile(
                  typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data),
                ),
              )
              .then(
                () => credit(j),
                (err: unknown) => {
                  failed ??= err;
                  // Stop the job: what it renders can no longer be kept.
                  Atomics.store(j.control, CANCELLED, 1);
                  Atomics.notify(j.control, CREDITS);
                },
              );
          },
        );
        const written = job.finished
          .then(() => writing)
          .finally(() => handle.close())
          .then(() => {
            if (failed !== undefined) throw failed;
          });
        // Reported where it is awaited; never an unhandled rejection meanwhile.
        written.catch(() => undefined);
        spills.push({ job, file, written });
      }

      let finished = false;
      try {
        for (;;) {
          const m = inbox.shift();
          if (m) {
            yield { file: m.file, data: m.data };
            credit(m.job);
            continue;
          }
          const failed = live.find((j) => j.error);
          if (failed?.error) throw failed.error;
          if (live.every((j) => j.over)) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        for (const s of spills) {
          await s.written;
          if (s.job.error) throw s.job.error;
          const handle = await fs.promises.open(s.file, 'r');
          try {
            const buf = Buffer.allocUnsafe(1 << 20);
            for (;;) {
              const { bytesRead } = await handle.read(buf, 0, buf.length, null);
              if (bytesRead === 0) break;
              // A copy: the buffer is read into again while the writer still holds the chunk.
              yield { file: 0, data: Buffer.from(buf.subarray(0, bytesRead)) };
            }
          } finally {
            await handle.close();
          }
        }
        counter.rows = [...live, ...spills.map((s) => s.job)].reduce((n, j) => n + j.rows, 0);
        finished = true;
      } finally {
        if (!finished) {
          // The writer stopped early (a failed write) or a job failed: every other job stops at
          // its next page and says so before its thread takes another job.
          for (const j of [...live, ...spills.map((s) => s.job)]) {
            Atomics.store(j.control, CANCELLED, 1);
            Atomics.notify(j.control, CREDITS);
          }
        }
        await Promise.all([...live, ...spills.map((s) => s.job)].map((j) => j.finished));
        await Promise.all(spills.map((s) => s.written.catch(() => undefined)));
      }
    } finally {
      await Promise.all(spills.map((s) => fs.promises.rm(s.file, { force: true })));
    }
  }
}
