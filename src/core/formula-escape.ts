/** Formula escaping: the CSV rule that keeps a spreadsheet from running a cell. */

/** A plain number, signed or not, with or without decimals: what a spreadsheet reads as one. */
const PLAIN_NUMBER = /^[+-]?[0-9]+([.][0-9]+)?$/;

/**
 * Prefixes `'` to text a spreadsheet would run as a formula (starts with = + - @ tab CR),
 * except a plain number such as a phone number "+447700900123" or a code "-1", which a
 * spreadsheet reads as a number and never runs (README, "The CSV files").
 */
export function escapeFormula(text: string): string {
  // A first-character switch: this runs for every text cell of every report.
  switch (text.charCodeAt(0)) {
    case 0x3d: // =
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // CR
      return `'${text}`;
    case 0x2b: // +
    case 0x2d: // -
      return PLAIN_NUMBER.test(text) ? text : `'${text}`;
    default:
      return text;
  }
}
