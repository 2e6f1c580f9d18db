import { escapeFormula } from './formula-escape.js';
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

/** What a text cell may need: a formula's first character, or a control character. */
// eslint-disable-next-line no-control-regex -- control characters are the point
const NEEDS_CARE = /^[=+\-@\t\r]|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/**
 * How a report's cells become CSV cells: text (and a date that could not be read, shown as
 * sent) with controls replaced and, with `escapeFormulas`, formula-escaped; instants as ISO
 * 8601 in `timeZone` with the offset; counts as digits; decimals and dates as the report
 * wrote them; null as "". The same rules for every report. The cells are written into `out`
 * (by default a new array; the cells themselves when nothing else reads them).
 */
export function csvCellWriter(
  columns: readonly TypedColumn[],
  opts: { timeZone: string; escapeFormulas: boolean },
): (cells: readonly (string | number | null)[], out?: (string | number | null)[]) => string[] {
  const types = columns.map((c) => c.type);
  const { timeZone } = opts;
  const text = opts.escapeFormulas
    ? (s: string): string => escapeFormula(replaceControls(s))
    : replaceControls;
  return (cells, out = new Array<string>(types.length)) => {
    for (let i = 0; i < types.length; i++) {
      const v = cells[i];
      const type = types[i];
      if (v === null || v === undefined) out[i] = '';
      else if (typeof v === 'number')
        out[i] = type === 'datetime' ? formatIsoInZone(v, timeZone) : String(v);
      // Most text needs nothing: one test decides (this runs for every cell of every row).
      else if ((type === 'string' || type === 'datetime') && NEEDS_CARE.test(v)) out[i] = text(v);
      else out[i] = v;
    }
    return out as string[];
  };
}
