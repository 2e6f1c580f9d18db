import { PHONE_SEPARATORS } from './address-mentions.js';

/**
 * A phone-like address: a leading `+`, then digits with the separators a number is written
 * with (spaces, dots, brackets, dashes, the Unicode ones too): the same set by which
 * address-mentions.ts reads a number in text, so the check after an erasure sees what the
 * erasure matched.
 */
const PHONE_LIKE = new RegExp(`^\\+?[\\d${PHONE_SEPARATORS.replace(/[-\\\]^]/g, '\\$&')}]+$`);

/**
 * The key by which erasure matches a customer address: a phone-like address (digits with
 * spaces, dots, dashes, brackets, a leading `+`) compares by its digits, a leading `+` or
 * international `00` ignored, so "+44 7700 900123", "00447700900123", "447700900123" and
 * "+44–7700–900123" are one customer. Anything else (a web chat id) compares as written,
 * trimmed.
 */
export function addressKey(address: string): string {
  const a = address.trim();
  if (!PHONE_LIKE.test(a) || !/\d/.test(a)) return a;
  const digits = a.replace(/\D/g, '');
  return !a.startsWith('+') && digits.startsWith('00') ? digits.slice(2) : digits;
}

/**
 * The erasure key of an address as JSON holds it: a string as written, a number by its
 * decimal digits (an orphan delivery report may carry `"outboundChannelAddress": 447700900123`).
 * Anything else (absent, null, an object) is no address: null.
 */
export function addressKeyOf(value: unknown): string | null {
  if (typeof value === 'string') return addressKey(value);
  if (typeof value === 'bigint') return addressKey(value.toString());
  if (typeof value === 'number' && Number.isFinite(value)) return addressKey(String(value));
  return null;
}
