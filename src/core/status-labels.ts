/** Status labels: the text the reports write beside a status code. */

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

/** The label of a status code: config overrides, then Webio's defaults; unknown is "". */
export function statusLabel(code: string, labels: Readonly<Record<string, string>>): string {
  return Object.hasOwn(labels, code) ? (labels[code] ?? '') : '';
}

/** Merges config overrides over the default labels. */
export function mergeLabels(overrides: Readonly<Record<string, string>>): Record<string, string> {
  return { ...DEFAULT_STATUS_LABELS, ...overrides };
}
