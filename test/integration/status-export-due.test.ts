import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/core/cron.js';
import { formatStatus } from '../../src/commands/status.js';
import { collectStatus } from '../../src/jobs/index.js';
import { freshStore } from '../helpers/store.js';

const at = (iso: string) => Date.parse(iso);
const schedule = { export: parseCron('15 0 * * *', 'UTC'), exportGraceMs: 15 * 60_000 };

describe('status and the scheduled export', () => {
  it('says nothing of a schedule on a store no service has run on', () => {
    const { store } = freshStore('UTC');
    const s = collectStatus(
      store,
      'db',
      'UTC',
      180,
      at('2026-11-20T08:00:00Z'),
      undefined,
      schedule,
    );
    expect(s.exportDue).toBeNull();
    expect(formatStatus(s)).toMatch(/^last export: never$/m);
    store.close();
  });

  it('tells an export missed while the service was down from one that completed', () => {
    const { store } = freshStore('UTC');
    // Yesterday's export ran and completed at 00:15; the box was down over today's.
    store.recordExportDue(at('2026-11-19T00:15:00Z'));
    const run = store.startRun('export', at('2026-11-19T00:15:00Z'));
    store.endRun(run, true, {}, null, at('2026-11-19T00:15:09Z'));
    store.completeExportDue(at('2026-11-19T00:15:00Z'), at('2026-11-19T00:15:09Z'));

    const before = collectStatus(
      store,
      'db',
      'UTC',
      10_000,
      at('2026-11-19T08:00:00Z'),
      undefined,
      schedule,
    );
    expect(before.exportDue).toEqual({
      dueAt: '2026-11-19T00:15:00.000Z',
      completed: true,
      overdue: false,
      why: null,
    });
    expect(formatStatus(before)).toMatch(/^last export: 2026-11-19T00:15:09.000Z ok$/m);

    const now = at('2026-11-20T08:00:00Z');
    const s = collectStatus(store, 'db', 'UTC', 10_000, now, undefined, schedule);
    expect(s.exportDue).toEqual({
      dueAt: '2026-11-20T00:15:00.000Z',
      completed: false,
      overdue: true,
      why: 'no export has run since it came due: is the service running?',
    });
    expect(s.healthy).toBe(false);
    const text = formatStatus(s);
    expect(text).toMatch(
      /^last export: NOT DONE: the export due at 2026-11-20T00:15:00.000Z has not completed \(no export has run since it came due: is the service running\?\); last ok 2026-11-19T00:15:09.000Z$/m,
    );
    expect(text).toContain(
      'WARNING: the scheduled export due at 2026-11-20T00:15:00.000Z has not completed',
    );

    // Within its grace (an export at 00:15 is still writing), not yet a warning.
    const soon = collectStatus(
      store,
      'db',
      'UTC',
      10_000,
      at('2026-11-20T00:20:00Z'),
      undefined,
      schedule,
    );
    expect(soon.exportDue?.overdue).toBe(false);
    store.close();
  });
});
