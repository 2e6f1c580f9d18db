import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPT_OUT_WORDS, DEFAULT_STATUS_CLASSES } from '../../src/core/outcomes.js';
import { SqliteStore } from '../../src/io/store/index.js';
import { reportParams } from '../../src/pipeline/export/render.js';
import { dailySummaryReport } from '../../src/reports/daily-summary.js';
import type { ReportDefinition, ReportParams } from '../../src/reports/index.js';
import { messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { PROJECT_ROOT } from '../helpers/harness.js';
import { freshStore, ingestEvents } from '../helpers/store.js';

// A report the store has never heard of, reading a temp table of its own: one row per opt-out
// word of the parameters, numbered in the order given.
const wordsReport: ReportDefinition = {
  name: 'words-of-the-day',
  columns: [
    { name: 'word', type: 'string' },
    { name: 'n', type: 'integer' },
  ],
  tempTables: [
    {
      name: 'test_word',
      create: `CREATE TEMP TABLE test_word (word TEXT PRIMARY KEY, n INTEGER NOT NULL)`,
      insert: `INSERT INTO temp.test_word VALUES (?, ?)`,
      rows: (params) => (JSON.parse(params.optOutWords) as string[]).map((w, i) => [w, i]),
    },
  ],
  sql: `SELECT word, n FROM temp.test_word ORDER BY n`,
  toRow: (row) => [...row] as (string | number)[],
};

const params = (words: string[]): ReportParams => ({
  ...reportParams(
    {
      timeZone: 'Europe/London',
      classes: DEFAULT_STATUS_CLASSES,
      optOutWords: DEFAULT_OPT_OUT_WORDS,
    },
    '2021-01-28',
  ),
  optOutWords: JSON.stringify(words),
});

const opened: SqliteStore[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

describe('a report declares the setup its query needs', () => {
  it('the store creates and fills a temp table a report declares, refilling it when the parameters change', () => {
    const { store } = freshStore();
    opened.push(store);
    expect([...store.iterateRows(wordsReport, params(['stop', 'halt']))]).toEqual([
      ['stop', 0],
      ['halt', 1],
    ]);
    // Other parameters: the table holds their rows only, not the last ones as well.
    expect([...store.iterateRows(wordsReport, params(['end']))]).toEqual([['end', 0]]);
    expect([...store.iterateRows(wordsReport, params([]))]).toEqual([]);
    expect([...store.iterateRows(wordsReport, params(['stop', 'halt']))]).toEqual([
      ['stop', 0],
      ['halt', 1],
    ]);
  });

  it('a read-only connection (a report worker) sets up the temp table too', () => {
    const { store, dir } = freshStore();
    store.close();
    const reader = new SqliteStore({
      path: path.join(dir, 'webio.sqlite'),
      busyTimeoutMs: 1000,
      exportTimeZone: 'Europe/London',
      readonly: true,
    });
    opened.push(reader);
    expect([...reader.iterateRows(wordsReport, params(['unsubscribe']))]).toEqual([
      ['unsubscribe', 0],
    ]);
  });

  it("daily-summary's status classes come from its own temp table, filled from each day's classes", () => {
    const { store } = freshStore();
    opened.push(store);
    // One send on 2021-01-28 (12:22:15 UTC, 12:22:15 in London in winter) whose only
    // delivery report is code 14.
    ingestEvents(store, [messageSend, { ...messageStatusUpdate, statusCode: '14' }]);
    const summary = (classes: typeof DEFAULT_STATUS_CLASSES) =>
      [
        ...store.iterateRows(
          dailySummaryReport,
          reportParams(
            { timeZone: 'Europe/London', classes, optOutWords: DEFAULT_OPT_OUT_WORDS },
            '2021-01-28',
          ),
        ),
      ].map((r) => (r as number[]).slice(1, 6));
    // Row columns 1..5: sent, delivered, failed, unconfirmed, pending.
    // By default 14 is in no class: unconfirmed.
    expect(summary(DEFAULT_STATUS_CLASSES)).toEqual([[1, 0, 0, 1, 0]]);
    // With 14 counted as delivered, the same send is delivered...
    expect(summary({ ...DEFAULT_STATUS_CLASSES, delivered: ['0', '14'] })).toEqual([
      [1, 1, 0, 0, 0],
    ]);
    // ...and as failed, failed: the table was refilled each time.
    expect(summary({ ...DEFAULT_STATUS_CLASSES, delivered: ['0'], failed: ['14'] })).toEqual([
      [1, 0, 1, 0, 0],
    ]);
    expect(dailySummaryReport.tempTables?.map((t) => t.name)).toEqual(['status_class']);
  });

  it("the store's code names no report and none of a report's tables", () => {
    const dir = path.join(PROJECT_ROOT, 'src', 'io', 'store');
    const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(0);
    for (const file of sources) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      expect({ file, mentions: /status_class|daily-summary|dailySummary/.test(text) }).toEqual({
        file,
        mentions: false,
      });
    }
  });
});
