/** Deepest nesting accepted in an event; deeper payloads are refused, not stored. */
export const MAX_DEPTH = 64;

export class TooDeepError extends Error {}

/**
 * JSON with object keys sorted, so that the same payload written with other key order or
 * whitespace has one form. Writes strings directly (never assigns keys to objects), so keys
 * like `__proto__` are kept as data.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (depth >= MAX_DEPTH) throw new TooDeepError(`nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  }
  const keys = Object.keys(value).sort();
  const parts = keys.map(
    (k) =>
      `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`,
  );
  return `{${parts.join(',')}}`;
}
