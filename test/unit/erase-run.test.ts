import { describe, expect, it } from 'vitest';
import {
  finishErasure,
  type Compaction,
  type EraseDeps,
  type PendingErasure,
  type Rewrite,
  type StoreMentions,
} from '../../src/pipeline/erase-run.js';

const DB = '/data/webio.sqlite';
const CSV = (day: string) => `/exports/sends/sends-${day}.csv`;
const noMentions: StoreMentions = { total: 0, columns: [], days: [] };

/** finishErasure's collaborators as plain objects; `calls` records what was asked of them. */
function deps(
  o: {
    pending?: PendingErasure | undefined;
    rewrite?: Rewrite;
    compaction?: Compaction;
    found?: string[];
    mentions?: StoreMentions;
    exportFiles?: string[];
  } = {},
) {
  const calls: string[] = [];
  const d: EraseDeps = {
    store: {
      pendingErasure: () => o.pending,
      forgetErasureDays: (days) => void calls.push(`forget ${days.join(',')}`),
      compactAfterErasure: () => {
        calls.push('compact');
        return o.compaction ?? { ok: true, vacuumed: true };
      },
      mentionsOf: () => o.mentions ?? noMentions,
    },
    removeLeftovers: async () => {
      calls.push('leftovers');
      return ['/exports/sends/.sends-2021-07-02.csv.tmp-0123456789abcdef'];
    },
    rewrite: async (days) => {
      calls.push(`rewrite ${days.join(',')}`);
      return (
        o.rewrite ?? { written: [...days], notRewritten: [], files: days.length, failures: [] }
      );
    },
    scan: async (files) => {
      calls.push(`scan ${files.length}`);
      return {
        files: files.length,
        bytes: 1000,
        found: (o.found ?? []).map((file) => ({ file, encodings: ['utf-8'] })),
      };
    },
    storeFiles: { db: DB, all: [DB, `${DB}-wal`, `${DB}-shm`] },
    exportFiles: async () => o.exportFiles ?? [CSV('2021-07-02'), CSV('2021-07-03')],
    clock: () => 0,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  return { d, calls };
}

const pending = (days: string[]): PendingErasure => ({
  erasures: 1,
  days,
  vacuum: true,
  checkpoint: true,
});

describe('finishErasure', () => {
  it('removes leftovers, rewrites the pending days, forgets them, compacts, then checks every file, in that order', async () => {
    const { d, calls } = deps({ pending: pending(['2021-07-02']) });
    const f = await finishErasure(d, '447700911111');
    expect(calls).toEqual([
      'leftovers',
      'rewrite 2021-07-02',
      'forget 2021-07-02',
      'compact',
      'scan 5',
    ]);
    expect(f).toMatchObject({
      leftovers: 1,
      daysRewritten: ['2021-07-02'],
      compacted: true,
      problems: [],
    });
    expect(f.check).toMatchObject({ done: true, left: [], explained: [] });
  });

  it('without a pending erasure still removes leftovers, and without an address checks nothing', async () => {
    const { d, calls } = deps();
    const f = await finishErasure(d, undefined);
    expect(calls).toEqual(['leftovers']);
    expect(f.check).toEqual({ done: false, reason: 'no address given' });
  });

  it('skips the byte check for an address too short to tell apart from other bytes', async () => {
    const { d, calls } = deps({ pending: pending([]) });
    const f = await finishErasure(d, '77009');
    expect(calls).not.toContain('scan 5');
    expect(f.check.done).toBe(false);
  });

  it('keeps a day whose file failed pending, and says so', async () => {
    const rewrite = {
      written: ['2021-07-02'],
      notRewritten: ['2020-01-01'],
      files: 1,
      failures: [{ path: CSV('2021-07-03'), error: 'no space left on device' }],
    };
    const { d, calls } = deps({
      pending: pending(['2020-01-01', '2021-07-02', '2021-07-03']),
      rewrite,
    });
    const f = await finishErasure(d, undefined);
    // The failed day is not forgotten; the one before the horizon is (it can never be written).
    expect(calls).toContain('forget 2021-07-02,2020-01-01');
    expect(f.problems).toEqual([
      expect.stringContaining(`first: ${CSV('2021-07-03')}: no space left on device`),
    ]);
  });

  it('reports a checkpoint that a reader held back, and then no second problem for the store files it names', async () => {
    const { d } = deps({
      pending: pending([]),
      compaction: { ok: false, step: 'checkpoint', busy: true, walBytes: 4096, framesLeft: 3 },
      found: [DB, `${DB}-wal`],
    });
    const f = await finishErasure(d, '447700911111');
    expect(f.compacted).toBe(false);
    expect(f.problems).toHaveLength(1);
    expect(f.problems[0]).toContain('holds a read transaction');
    expect(f.problems[0]).toContain(`${DB}-wal (4096 bytes)`);
    expect(f.check).toMatchObject({ left: [{ file: DB }, { file: `${DB}-wal` }] });
  });

  it('explains a copy by rows erasure leaves (in the store, and in files of their days), and names every other copy', async () => {
    const mentions = {
      total: 1,
      columns: [{ table: 'sends', column: 'body', rows: 1 }],
      days: ['2021-07-02'],
    };
    const old = '/exports/archive/sends-2020-01-01.csv';
    const { d } = deps({
      pending: pending([]),
      mentions,
      found: [DB, CSV('2021-07-02'), CSV('2021-07-03'), old],
      exportFiles: [CSV('2021-07-02'), CSV('2021-07-03'), old],
    });
    const f = await finishErasure(d, '447700911111');
    expect(f.check).toMatchObject({
      explained: [{ file: DB }, { file: CSV('2021-07-02') }],
      left: [{ file: CSV('2021-07-03') }, { file: old }],
    });
    expect(f.problems.map((p) => p.slice(0, p.indexOf(' (')))).toEqual([
      `the address is still in ${CSV('2021-07-03')}`,
      `the address is still in ${old}`,
    ]);
    expect(f.warnings).toEqual([expect.stringContaining('sends.body: 1')]);
  });

  it('takes a copy in the store that no row explains as a problem once the store was compacted', async () => {
    const { d } = deps({ pending: pending([]), found: [DB] });
    const f = await finishErasure(d, '447700911111');
    expect(f.check).toMatchObject({ left: [{ file: DB }], explained: [] });
    expect(f.problems).toEqual([expect.stringContaining(`the address is still in ${DB}`)]);
  });
});
