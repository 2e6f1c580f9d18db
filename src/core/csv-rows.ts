/** Cell rules shared by every report: formula escaping and status labels. */

/** Webio's published "Message Outcomes": the default labels of messageStatusUpdate codes. */
export const DEFAULT_STATUS_LABELS: Readonly<Record<string, string>> = {
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

/** A plain number, signed or not, with or without decimals: what a spreadsheet reads as one. */
const PLAIN_NUMBER = /^[+-]?[0-9]+([.][0-9]+)?$/;

/**
 * Prefixes `'` to text a spreadsheet would run as a formula (starts with = + - @ tab CR),
 * except a plain number such as a phone number "+447700900123" or a code "-1", which a
 * spreadsheet reads as a number and never runs (DESIGN.md, "Typed outputs for warehouses").
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

/** The label of a status code: config overrides, then Webio's defaults; unknown is "". */
export function statusLabel(code: string, labels: Readonly<Record<string, string>>): string {
  return Object.hasOwn(labels, code) ? (labels[code] ?? '') : '';
}

/** Merges config overrides over the default labels. */
export function mergeLabels(overrides: Readonly<Record<string, string>>): Record<string, string> {
  return { ...DEFAULT_STATUS_LABELS, ...overrides };
}
