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
    expect(f.check).toMatchObject({
      left: [{ file: DB }],
      explained: [],
      otherMentions: undefined,
    });
    expect(f.problems).toEqual([expect.stringContaining(`the address is still in ${DB}`)]);
    // No row mentions it: nothing to warn of.
    expect(f.warnings).toEqual([]);
  });

  it('warns of no other mentions when no file holds the address', async () => {
    const mentions = { total: 1, columns: [{ table: 'sends', column: 'body', rows: 1 }], days: [] };
    const f = await finishErasure(deps({ mentions, found: [] }).d, '447700911111');
    expect(f.check).toMatchObject({ done: true, otherMentions: undefined });
    expect(f.warnings).toEqual([]);
  });

  it('says everything it did, field by field, when all goes well', async () => {
    const { d } = deps({ pending: { ...pending(['2021-07-02']), erasures: 2 } });
    const f = await finishErasure(d, '447700911111');
    // Two erasures pending; one leftover removed; the one day written again (one file); the
    // store rebuilt by this run; the 3 store files and 2 exports read (1,000 bytes, as the
    // scan said), the address in none of them.
    expect(f).toEqual({
      erasures: 2,
      leftovers: 1,
      daysRewritten: ['2021-07-02'],
      daysNotRewritten: [],
      filesRewritten: 1,
      exportFailures: [],
      compacted: true,
      vacuumed: true,
      check: {
        done: true,
        files: 5,
        bytes: 1000,
        left: [],
        explained: [],
        otherMentions: undefined,
      },
      problems: [],
      warnings: [],
    });
  });

  it('with nothing pending: nothing written, nothing rebuilt by this run, the store counts as compacted', async () => {
    const { d, calls } = deps();
    const f = await finishErasure(d, '447700911111');
    expect(calls).toEqual(['leftovers', 'scan 5']);
    expect(f).toMatchObject({
      erasures: 0,
      daysRewritten: [],
      daysNotRewritten: [],
      filesRewritten: 0,
      exportFailures: [],
      compacted: true,
      vacuumed: false,
      problems: [],
    });
  });

  it('with an erasure pending but no day to write, compacts without writing', async () => {
    const { d, calls } = deps({
      pending: pending([]),
      compaction: { ok: true, vacuumed: false },
    });
    const f = await finishErasure(d, undefined);
    expect(calls).toEqual(['leftovers', 'compact']);
    // An earlier run rebuilt the store; this one only emptied the WAL.
    expect(f).toMatchObject({ erasures: 1, compacted: true, vacuumed: false, problems: [] });
  });

  it('says what a failed rebuild leaves and what to do: free space for a full disk, else fix the cause', async () => {
    const again =
      'run `webio-reports erase` again (no --address needed: it finishes what is pending)';
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const other = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    for (const [error, said] of [
      [
        full,
        `the store could not be rebuilt (VACUUM: database or disk is full (SQLITE_FULL)), so the address may still be in ${DB} and ${DB}-wal; free disk space (the rebuild writes about the size of the store into its WAL, and as much into the temp folder) and ${again}`,
      ],
      [
        other,
        `the store could not be rebuilt (VACUUM: disk I/O error (SQLITE_IOERR)), so the address may still be in ${DB} and ${DB}-wal; fix the cause and ${again}`,
      ],
    ] as const) {
      const { d } = deps({
        pending: pending([]),
        compaction: { ok: false, step: 'vacuum', error },
      });
      const f = await finishErasure(d, undefined);
      expect(f).toMatchObject({ compacted: false, vacuumed: false });
      expect(f.problems).toEqual([said]);
    }
  });

  it('counts a store rebuilt but not recorded as compacted, and says to run erase again', async () => {
    const { d } = deps({
      pending: pending([]),
      compaction: {
        ok: false,
        step: 'record',
        error: new Error('attempt to write a readonly database'),
      },
      found: [DB],
    });
    const f = await finishErasure(d, '447700911111');
    expect(f).toMatchObject({ compacted: true, vacuumed: false });
    expect(f.problems[0]).toMatch(
      /^the store was rebuilt and its WAL emptied, but the erasure could not be recorded as finished \(.*readonly database\); run `webio-reports erase` again/,
    );
    // Compacted, so a copy in the store that no row explains is a problem of its own.
    expect(f.problems[1]).toContain(
      `the address is still in ${DB} (utf-8): the store still holds a copy`,
    );
  });

  it('names a WAL that a truncating checkpoint left non-empty with no reader to blame', async () => {
    const { d } = deps({
      pending: pending([]),
      compaction: { ok: false, step: 'checkpoint', busy: false, walBytes: 8192, framesLeft: 2 },
    });
    const f = await finishErasure(d, undefined);
    expect(f.problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^the WAL ${DB}-wal still holds 8192 bytes \\(2 frames\\) after a truncating checkpoint`,
        ),
      ),
    ]);
  });

  it('checks an address of exactly six characters, and says why it does not check five', async () => {
    const six = await finishErasure(deps().d, '770091');
    expect(six.check.done).toBe(true);
    const five = await finishErasure(deps().d, '77009');
    expect(five.check).toEqual({
      done: false,
      reason: 'an address of fewer than 6 characters cannot be told apart from other bytes',
    });
  });

  it('takes a file without a day in its name, or of a day no row explains, as a copy left behind', async () => {
    const mentions = {
      total: 2,
      columns: [
        { table: 'inbound', column: 'body', rows: 1 },
        { table: 'sends', column: 'body', rows: 1 },
      ],
      days: ['2021-07-02'],
    };
    const notes = '/exports/notes.csv';
    const { d } = deps({
      mentions,
      found: [notes, CSV('2021-07-03'), CSV('2021-07-02')],
      exportFiles: [notes, CSV('2021-07-02'), CSV('2021-07-03')],
    });
    const f = await finishErasure(d, '447700911111');
    expect(f.check).toMatchObject({
      left: [{ file: notes }, { file: CSV('2021-07-03') }],
      explained: [{ file: CSV('2021-07-02') }],
      otherMentions: mentions,
    });
    expect(f.problems[0]).toBe(
      `the address is still in ${notes} (utf-8): no row of the store puts it there (a day before retention.storeDays, or a file that is not an export of this store): remove the address from that file or delete it; then run \`webio-reports erase --address …\` again to check`,
    );
    expect(f.warnings).toEqual([
      `2 row(s) that erasure does not cover still mention the number (another customer's message that quotes it, say): inbound.body: 1, sends.body: 1; they are in 1 file(s), e.g. ${CSV('2021-07-02')}`,
    ]);
  });

  it('warns of rows that still mention the number, naming no file when no export explains it', async () => {
    const mentions = { total: 1, columns: [{ table: 'sends', column: 'body', rows: 1 }], days: [] };
    const { d } = deps({ mentions, found: [`${DB}-wal`] });
    const f = await finishErasure(d, '447700911111');
    expect(f.warnings).toEqual([
      "1 row(s) that erasure does not cover still mention the number (another customer's message that quotes it, say): sends.body: 1",
    ]);
  });
});
