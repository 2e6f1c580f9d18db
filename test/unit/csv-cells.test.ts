import { describe, expect, it } from 'vitest';
import { csvCellWriter, replaceControls } from '../../src/core/csv-cells.js';

describe('CSV cells', () => {
  it('writes every C0 control but tab, LF and CR as U+FFFD, and keeps everything else', () => {
    // 0x00-0x08, 0x0b, 0x0c, 0x0e-0x1f: the 29 C0 controls a CSV reader may choke on.
    const c0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).filter(
      (ch) => !'\t\n\r'.includes(ch),
    );
    expect(c0).toHaveLength(29);
    for (const ch of c0) expect(replaceControls(`a${ch}b`)).toBe('a\ufffdb');
    expect(replaceControls('NUL\u0000 here\u0000\u001f')).toBe('NUL\ufffd here\ufffd\ufffd');
    expect(replaceControls('tab\tLF\nCR\r')).toBe('tab\tLF\nCR\r');
    // DEL and C1 controls are not C0: left as they are.
    expect(replaceControls('\u007f\u0085 Zoë 😊')).toBe('\u007f\u0085 Zoë 😊');
  });

  it('applies the text rules to text only, formats instants in the zone, leaves numbers and dates', () => {
    const columns = [
      { type: 'string' },
      { type: 'datetime' },
      { type: 'datetime' },
      { type: 'integer' },
      { type: 'number' },
      { type: 'date' },
      { type: 'string' },
    ] as const;
    const cells = ['=x\u0000', 1625185800000, 'yesterday', 42, '-1.500', '2021-07-02', null];
    // 1625185800000 ms is 2021-07-02T00:30:00Z: 01:30 in London (BST, +01:00).
    expect(
      csvCellWriter(columns, { timeZone: 'Europe/London', escapeFormulas: true })(cells),
    ).toEqual([
      "'=x\ufffd",
      '2021-07-02T01:30:00.000+01:00',
      'yesterday',
      '42',
      '-1.500',
      '2021-07-02',
      '',
    ]);
    // Without formula escaping the controls are still replaced.
    expect(csvCellWriter(columns, { timeZone: 'UTC', escapeFormulas: false })(cells)).toEqual([
      '=x\ufffd',
      '2021-07-02T00:30:00.000+00:00',
      'yesterday',
      '42',
      '-1.500',
      '2021-07-02',
      '',
    ]);
  });

  it('treats a date shown as sent like any text, and writes a missing cell as empty', () => {
    // other-events' dateCreated is text when Webio sent a date it could not read: the text
    // rules apply to it, formula escaping and controls alike. A row shorter than its columns
    // has nothing in the last cells: they are written empty.
    const columns = [{ type: 'datetime' }, { type: 'datetime' }, { type: 'string' }] as const;
    const write = csvCellWriter(columns, { timeZone: 'UTC', escapeFormulas: true });
    expect(write(['=HYPERLINK("x")', 'soon\u0007'])).toEqual([
      '\'=HYPERLINK("x")',
      'soon\ufffd',
      '',
    ]);
  });
});
