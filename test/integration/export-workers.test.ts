import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mergeLabels } from '../../src/core/status-labels.js';
import { writeFileAtomic, writeFilesAtomic } from '../../src/io/files/atomic.js';
import { createParquetEncoder } from '../../src/io/parquet.js';
import { ReportWorkers } from '../../src/jobs/report-workers.js';
import type { WriteFile } from '../../src/pipeline/export/ports.js';
import type { ExportOptions } from '../../src/pipeline/export/options.js';
import { runExport } from '../../src/pipeline/export/run.js';
import { REPORTS } from '../../src/reports/index.js';
import { inboundMessage, messageSend, messageStatusUpdate, payment } from '../fixtures/webio.js';
import { PROJECT_ROOT } from '../helpers/harness.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { exportOptions } from '../helpers/export-options.js';
import { memoryLog } from '../helpers/log-sink.js';

// Reports rendered in worker threads (the built worker script, as the CLI runs it) must give
// the very bytes the export writes when it renders in its own thread.
const WORKER = pathToFileURL(path.join(PROJECT_ROOT, 'dist', 'jobs', 'report-worker.js'));
const quiet = memoryLog();
const DAYS = ['2026-03-28', '2026-03-29', '2026-03-30'];

function seeded() {
  const { store, dir } = freshStore('Europe/London');
  const events: object[] = [];
  for (let i = 0; i < 40; i++) {
    const day = DAYS[i % 3] as string;
    const at = `${day} ${String(i % 24).padStart(2, '0')}:${String(i).padStart(2, '0')}:00.000`;
    const id = `s${i}`;
    events.push({
      ...messageSend,
      communicationActionId: id,
      outboundChannelAddress: `+4477009001${String(i % 7).padStart(2, '0')}`,
      body: i % 5 ? `Hello, "number" ${i}\nsecond line` : `=HYPERLINK("x")`,
      dateCreated: at,
    });
    if (i % 2)
      events.push({
        ...messageStatusUpdate,
        communicationActionId: id,
        statusCode: String(i % 4),
        dateCreated: at,
      });
    if (i % 3 === 0)
      events.push({
        ...inboundMessage,
        communicationActionId: `in${i}`,
        body: 'STOP',
        dateCreated: at,
      });
    if (i % 10 === 0) events.push({ ...payment, dateCreated: at });
  }
  ingestEvents(store, events);
  return { store, dir };
}

function options(dir: string): ExportOptions {
  return exportOptions(dir, {
    bom: true,
    labels: mergeLabels({ '2': 'Phone off' }),
    addressMode: 'hash',
    hashKey: 'a-secret-of-sixteen+',
    // Pages of 2 rows, each passed on at once: many chunks per file, more than a worker may
    // render ahead.
    pageSize: 2,
    chunkChars: 1,
  });
}

/** A pool of `size` report threads over the seeded store in `dir`, writing under `out`. */
const threads = (dir: string, out: string, size: number, workerUrl = WORKER): ReportWorkers =>
  new ReportWorkers({
    dbPath: path.join(dir, 'webio.sqlite'),
    busyTimeoutMs: 1000,
    opts: options(out),
    size,
    workerUrl,
  });

const files = (dir: string): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.csv'))
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );

describe('reports rendered in worker threads', () => {
  it('writes byte for byte what the export writes in its own thread', async () => {
    const { store, dir } = seeded();
    const here = path.join(dir, 'here');
    const there = path.join(dir, 'there');
    const deps = { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet };
    const inThread = await runExport(deps, options(here), DAYS);
    for (const day of DAYS) store.markChanged(day, Date.now());
    const workers = threads(dir, there, 2);
    try {
      const threaded = await runExport(
        { ...deps, render: workers.render, concurrency: 2 },
        options(there),
        DAYS,
      );
      expect(threaded.failures).toEqual([]);
      expect(threaded.files.map((f) => [f.report, f.day, f.rows])).toEqual(
        inThread.files.map((f) => [f.report, f.day, f.rows]),
      );
    } finally {
      await workers.close();
    }
    const mine = files(here);
    expect(Object.keys(mine)).toHaveLength(REPORTS.length * DAYS.length);
    expect(files(there)).toEqual(mine);
    // The hash key reached the threads: no file holds a number.
    expect(Object.values(files(there)).some((t) => t.includes('+4477'))).toBe(false);
  });

  it.each([
    // CSV only: each time-ordered report's day in three slices side by side.
    ['csv only, in slices', ['csv'] as const, 15],
    // With Parquet: one pass per report for both files.
    ['csv and parquet', ['csv', 'parquet'] as const, 30],
  ])(
    'writes %s in three threads byte for byte as in one thread, and leaves no temp file',
    async (_name, formats, count) => {
      const { store, dir } = seeded();
      const here = path.join(dir, 'here');
      const there = path.join(dir, 'there');
      const deps = {
        store,
        writeFile: writeFileAtomic,
        writeFiles: writeFilesAtomic,
        createParquet: createParquetEncoder,
        clock: Date.now,
        log: quiet,
      };
      const opts = (out: string) => ({ ...options(out), formats });
      await runExport(deps, opts(here), DAYS);
      for (const day of DAYS) store.markChanged(day, Date.now());
      const workers = new ReportWorkers({
        dbPath: path.join(dir, 'webio.sqlite'),
        busyTimeoutMs: 1000,
        opts: opts(there),
        size: 3,
        workerUrl: WORKER,
      });
      try {
        const s = await runExport(
          { ...deps, render: workers.render, concurrency: 3 },
          opts(there),
          DAYS,
        );
        expect(s.failures).toEqual([]);
      } finally {
        await workers.close();
      }
      const all = (root: string) =>
        Object.fromEntries(
          fs
            .readdirSync(root, { recursive: true, encoding: 'utf8' })
            .filter((f) => fs.statSync(path.join(root, f)).isFile() && !f.endsWith('.json'))
            .sort()
            .map((f) => [f, fs.readFileSync(path.join(root, f)).toString('base64')]),
        );
      const mine = all(here);
      // 5 reports × 3 days (× 2 formats), and nothing else: no temp file of a slice.
      expect(Object.keys(mine)).toHaveLength(count);
      expect(all(there)).toEqual(mine);
    },
  );

  it('stops every slice of a report whose file failed to write, and removes their temp files', async () => {
    const { store, dir } = seeded();
    const out = path.join(dir, 'out');
    const workers = threads(dir, out, 2);
    const failing: WriteFile = async (target, chunks, o) => {
      if (!target.includes(`${path.sep}sends${path.sep}`))
        return writeFileAtomic(target, chunks, o);
      const pages = (chunks as AsyncIterable<string>)[Symbol.asyncIterator]();
      await pages.next();
      await pages.return?.();
      throw new Error('no space left on device');
    };
    try {
      const s = await runExport(
        { store, writeFile: failing, clock: Date.now, log: quiet, render: workers.render },
        options(out),
        [DAYS[0] as string],
      );
      expect(s.failures.map((f) => f.path)).toEqual([
        path.join(out, 'sends', `sends-${DAYS[0]}.csv`),
      ]);
      expect(fs.readdirSync(path.join(out, 'sends'))).toEqual([]);
      // The threads are free again: the next export writes the day.
      const again = await runExport(
        {
          store,
          writeFile: writeFileAtomic,
          clock: Date.now,
          log: quiet,
          render: workers.render,
          concurrency: 2,
        },
        options(out),
        [DAYS[0] as string],
      );
      expect(again.failures).toEqual([]);
      expect(fs.readdirSync(path.join(out, 'sends'))).toEqual([`sends-${DAYS[0]}.csv`]);
    } finally {
      await workers.close();
    }
  });

  it('stops a thread whose file failed to write, reports it, and goes on with the next', async () => {
    const { store, dir } = seeded();
    const out = path.join(dir, 'out');
    const workers = threads(dir, out, 1);
    // The sends file's write fails after its first page, as on a full disk.
    const failing: WriteFile = async (target, chunks, o) => {
      if (!target.includes(`${path.sep}sends${path.sep}`))
        return writeFileAtomic(target, chunks, o);
      const pages = (chunks as AsyncIterable<string>)[Symbol.asyncIterator]();
      await pages.next();
      await pages.return?.();
      throw new Error('no space left on device');
    };
    try {
      const s = await runExport(
        { store, writeFile: failing, clock: Date.now, log: quiet, render: workers.render },
        options(out),
        [DAYS[0] as string],
      );
      expect(s.failures).toEqual([
        {
          path: path.join(out, 'sends', `sends-${DAYS[0]}.csv`),
          error: 'no space left on device',
        },
      ]);
      // The one thread went on to write the other four reports.
      expect(s.files.map((f) => f.report)).toEqual(REPORTS.slice(1).map((r) => r.name));
      expect(s.files.every((f) => f.rows >= 0)).toBe(true);
      // A report the threads do not know is an error of that file, not of the export.
      const odd = { ...(REPORTS[0] as (typeof REPORTS)[number]), name: 'no-such-report' };
      const again = await runExport(
        { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet, render: workers.render },
        { ...options(out), reports: [odd] },
        [DAYS[0] as string],
      );
      const target = path.join(out, 'no-such-report', `no-such-report-${DAYS[0]}.csv`);
      expect(again.failures).toEqual([
        { path: target, error: `could not write ${target}: no report named no-such-report` },
      ]);
    } finally {
      await workers.close();
    }
  });

  it('reports a thread that died as a failure of its file, and starts another for the next', async () => {
    const { store, dir } = seeded();
    const out = path.join(dir, 'out');
    const workers = threads(
      dir,
      out,
      1,
      pathToFileURL(path.join(PROJECT_ROOT, 'test', 'helpers', 'dying-worker.mjs')),
    );
    try {
      const s = await runExport(
        { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet, render: workers.render },
        { ...options(out), reports: REPORTS.slice(0, 2) },
        [DAYS[0] as string],
      );
      expect(s.files).toEqual([]);
      expect(s.failures.map((f) => f.error)).toEqual(
        REPORTS.slice(0, 2).map(
          (r) =>
            `could not write ${path.join(out, r.name, `${r.name}-${DAYS[0]}.csv`)}: report thread exited with code 3`,
        ),
      );
      expect(store.changedDays()).toContain(DAYS[0]);
    } finally {
      await workers.close();
    }
  });
});
