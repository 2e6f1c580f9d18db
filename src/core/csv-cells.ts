import { escapeFormula } from './csv-rows.js';
import { formatIsoInZone } from './days.js';

/**
 * C0 control characters other than tab, LF and CR. A NUL cuts a cell short in pandas and
 * Excel, and the others show as boxes or vanish; tab, LF and CR are text that CSV quoting
 * carries.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** Text with every C0 control other than tab, LF and CR written as U+FFFD. */
export function replaceControls(text: string): string {
  // A test first: most cells hold none, and replace() would copy every one of them.
  return CONTROL.test(text) ? text.replace(CONTROLS, '\ufffd') : text;
}

/** A column as the CSV rules see it: its type decides how a cell is written. */
type TypedColumn = { type: 'string' | 'datetime' | 'date' | 'integer' | 'number' };

/**
 * How a report's cells become CSV cells: text (and a date that could not be read, shown as
 * sent) with controls replaced and, with `escapeFormulas`, formula-escaped; instants as ISO
 * 8601 in `timeZone` with the offset; counts as digits; decimals and dates as the report
 * wrote them; null as "". The same rules for every report.
 */
export function csvCellWriter(
  columns: readonly TypedColumn[],
  opts: { timeZone: string; escapeFormulas: boolean },
): (cells: readonly (string | number | null)[]) => string[] {
  const types = columns.map((c) => c.type);
  const { timeZone } = opts;
  const text = opts.escapeFormulas
    ? (s: string): string => escapeFormula(replaceControls(s))
    : replaceControls;
  return (cells) => {
    const out = new Array<string>(types.length);
    for (let i = 0; i < types.length; i++) {
      const v = cells[i];
      const type = types[i];
      if (v === null || v === undefined) out[i] = '';
      else if (typeof v === 'number')
        out[i] = type === 'datetime' ? formatIsoInZone(v, timeZone) : String(v);
      else out[i] = type === 'string' || type === 'datetime' ? text(v) : v;
    }
    return out;
  };
}
