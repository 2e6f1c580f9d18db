import { describe, expect, it } from 'vitest';
import { csvCellWriter } from '../../src/core/csv-cells.js';
import { escapeFormula } from '../../src/core/formula-escape.js';
import { mergeLabels, statusLabel } from '../../src/core/status-labels.js';
import { DEFAULT_OPT_OUT_WORDS, DEFAULT_STATUS_CLASSES } from '../../src/core/outcomes.js';
import { chooseDays } from '../../src/commands/export.js';
import type { AppError } from '../../src/errors.js';
import { reportContext } from '../../src/pipeline/export/render.js';
import { statusesReport } from '../../src/reports/statuses.js';

describe('CSV rows', () => {
  it.each([
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+44', '+44'],
    // A plain number, signed or not, with or without decimals, is never escaped (README, "The CSV files"):
    // a spreadsheet reads it as a number and never runs it.
    ['-1', '-1'],
    ['-5', '-5'],
    ['-0.5', '-0.5'],
    ['+1.25', '+1.25'],
    ['-12345678901234567890', '-12345678901234567890'],
    // Anything else that starts with - or + is still escaped.
    ['-1.', "'-1."],
    ['-.5', "'-.5"],
    ['-1e5', "'-1e5"],
    ['- 1', "'- 1"],
    ['+-1', "'+-1"],
    ['--1', "'--1"],
    ['-5 degrees', "'-5 degrees"],
    ['-1\n', "'-1\n"],
    ['@here', "'@here"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['plain', 'plain'],
    [' =not first', ' =not first'],
    ['', ''],
    // Plain numbers are read as numbers by a spreadsheet, never run: phone numbers stay as sent.
    ['+447700900123', '+447700900123'],
    ['447700900123', '447700900123'],
    ['+44 7700 900123', "'+44 7700 900123"],
    ['-2+3', "'-2+3"],
    ['+', "'+"],
  ])('escapes %j as %j', (input, output) => {
    expect(escapeFormula(input)).toBe(output);
  });

  it('labels every code of Webio\'s published "Message Outcomes" by default', () => {
    const labels = mergeLabels({});
    const published = {
      '0': 'Delivered',
      '1': 'Invalid',
      '2': 'Unavailable',
      '3': 'Network error',
      '5': 'Expired',
      '6': 'Invalid message structure',
      '7': 'Invalid contact structure',
      '9': 'Overrun',
      '10': 'Blocklisted',
      '11': 'Profanity',
      '12': 'Rejected',
      '14': 'Unconfirmed',
    };
    for (const [code, label] of Object.entries(published))
      expect(statusLabel(code, labels)).toBe(label);
    for (const code of ['4', '8', '13', '15', '']) expect(statusLabel(code, labels)).toBe('');
  });

  it('labels known codes and leaves unknown ones empty', () => {
    const labels = mergeLabels({ '3': 'Carrier down' });
    expect(statusLabel('0', labels)).toBe('Delivered');
    expect(statusLabel('3', labels)).toBe('Carrier down');
    expect(statusLabel('4', labels)).toBe('');
    expect(statusLabel('toString', labels)).toBe('');
  });

  it('escapes every text cell of a row, ids, codes and addresses included, but not plain numbers', () => {
    const opts = {
      dir: '',
      bom: false,
      timeZone: 'UTC',
      labels: mergeLabels({}),
      escapeFormulas: true,
      classes: DEFAULT_STATUS_CLASSES,
      optOutWords: DEFAULT_OPT_OUT_WORDS,
    };
    const ctx = reportContext(opts, '1970-01-01');
    const cells = statusesReport.toRow(
      ['=1', '-2', 0, '=2+5', '+447700900123', '@SUM(1+1)', '-2+3'],
      ctx,
    );
    // The report's cells are the values as stored; the CSV rules come after, for every report.
    expect(cells).toEqual(['=1', '-2', 0, '=2+5', '', '+447700900123', '@SUM(1+1)', '-2+3']);
    const row = csvCellWriter(statusesReport.columns, opts)(cells);
    expect(row).toEqual([
      "'=1",
      '-2',
      '1970-01-01T00:00:00.000+00:00',
      "'=2+5",
      '',
      '+447700900123',
      "'@SUM(1+1)",
      "'-2+3",
    ]);
  });
});

describe('export day options', () => {
  it('turns --date and --from/--to into days', () => {
    expect(chooseDays({})).toBeUndefined();
    expect(chooseDays({ date: '2021-07-02' })).toEqual(['2021-07-02']);
    expect(chooseDays({ from: '2021-02-27', to: '2021-03-02' })).toEqual([
      '2021-02-27',
      '2021-02-28',
      '2021-03-01',
      '2021-03-02',
    ]);
  });

  it('refuses bad dates and ranges with a usage error', () => {
    expect(() => chooseDays({ date: '2021-02-30' })).toThrow(
      '--date 2021-02-30: there is no such day in the calendar',
    );
    expect(() => chooseDays({ date: '2021/02/03' })).toThrow(
      '--date 2021/02/03: expected a date as YYYY-MM-DD',
    );
    expect(() => chooseDays({ from: '2021-03-02', to: '2021-03-01' })).toThrow(
      '--from 2021-03-02 is after --to 2021-03-01',
    );
    expect(() => chooseDays({ from: '2021-03-02' })).toThrow('--from and --to go together');
    expect(() => chooseDays({ date: '2021-03-02', to: '2021-03-03' })).toThrow(
      'either --date or --from/--to',
    );
  });

  it('refuses days after tomorrow in the export zone, with exit code 2', () => {
    const today = { day: '2026-12-01', timeZone: 'Europe/London' };
    // Tomorrow is the last day allowed: 2 December.
    expect(chooseDays({ date: '2026-12-02' }, today)).toEqual(['2026-12-02']);
    expect(chooseDays({ from: '2026-11-30', to: '2026-12-02' }, today)).toHaveLength(3);
    let refused: unknown;
    try {
      chooseDays({ date: '2030-01-01' }, today);
    } catch (err) {
      refused = err;
    }
    expect((refused as AppError).exitCode).toBe(2);
    expect((refused as Error).message).toBe(
      '--date 2030-01-01 is after tomorrow (2026-12-02 in Europe/London, export.timezone): no event is dated there yet, so its files would only hold headers; give a day up to 2026-12-02',
    );
    expect(() => chooseDays({ from: '2025-12-01', to: '2026-12-03' }, today)).toThrow(
      '--to 2026-12-03 is after tomorrow',
    );
    expect(() => chooseDays({ from: '2026-12-03', to: '2026-12-04' }, today)).toThrow(
      '--from 2026-12-03 is after tomorrow',
    );
  });
});
