/**
 * Delivery outcomes and the exact decimals of the KPI reports (README, "Reports": sends and
 * daily-summary). The sends report applies these directly; daily-summary computes the
 * same rules in SQL, in one pass, and tests hold the two together.
 */

export type StatusClass = 'delivered' | 'failed' | 'unconfirmed';
export type Outcome = StatusClass | 'pending';

/**
 * Which status codes count as delivered or failed; every other code is unconfirmed (listing
 * codes as unconfirmed only documents them).
 */
export type StatusClasses = {
  delivered: readonly string[];
  failed: readonly string[];
  unconfirmed: readonly string[];
};

/** Webio's "Message Outcomes": 0 Delivered; 14 Unconfirmed and unknown codes are unconfirmed. */
export const DEFAULT_STATUS_CLASSES: StatusClasses = {
  delivered: ['0'],
  failed: ['1', '2', '3', '5', '6', '7', '9', '10', '11', '12'],
  unconfirmed: [],
};

/** The order classes win in at equal `dateCreated`: delivered, then failed, then unconfirmed. */
export const CLASS_RANK: Readonly<Record<StatusClass, number>> = {
  delivered: 0,
  failed: 1,
  unconfirmed: 2,
};
export const CLASS_BY_RANK: readonly StatusClass[] = ['delivered', 'failed', 'unconfirmed'];

/** The class of a status code. */
export function classOf(code: string, classes: StatusClasses): StatusClass {
  if (classes.delivered.includes(code)) return 'delivered';
  if (classes.failed.includes(code)) return 'failed';
  return 'unconfirmed';
}

/** Codes listed in more than one class, with the classes that list them. */
export function overlappingCodes(
  classes: Partial<Record<StatusClass, readonly string[]>>,
): { code: string; classes: StatusClass[] }[] {
  const seen = new Map<string, StatusClass[]>();
  for (const cls of CLASS_BY_RANK) {
    for (const code of new Set(classes[cls] ?? []))
      seen.set(code, [...(seen.get(code) ?? []), cls]);
  }
  return [...seen].filter(([, cs]) => cs.length > 1).map(([code, cs]) => ({ code, classes: cs }));
}

const NUMERIC_CODE = /^-?[0-9]+$/;

/**
 * Orders status codes as numbers ("2" before "10"); a non-numeric code comes after every
 * numeric one, and those compare as text. Codes equal as numbers ("02", "2") fall back to text.
 */
export function compareStatusCodes(a: string, b: string): number {
  const an = NUMERIC_CODE.test(a);
  const bn = NUMERIC_CODE.test(b);
  if (an !== bn) return an ? -1 : 1;
  if (an) {
    const d = BigInt(a) - BigInt(b);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export type StoredStatus = { code: string; dateMs: number };

/**
 * A send's final status among its stored statuses: the latest `dateCreated`; at equal time
 * the class decides (delivered, failed, unconfirmed), then the smaller code. Arrival order
 * never matters. Undefined when there is none (the send is pending).
 */
export function finalStatus<T extends StoredStatus>(
  statuses: readonly T[],
  classes: StatusClasses | ((code: string) => StatusClass),
): T | undefined {
  const classify =
    typeof classes === 'function' ? classes : (code: string) => classOf(code, classes);
  let best: T | undefined;
  for (const s of statuses) {
    if (!best) {
      best = s;
      continue;
    }
    const byTime = s.dateMs - best.dateMs;
    const byClass = CLASS_RANK[classify(best.code)] - CLASS_RANK[classify(s.code)];
    if (
      byTime > 0 ||
      (byTime === 0 &&
        (byClass > 0 || (byClass === 0 && compareStatusCodes(s.code, best.code) < 0)))
    )
      best = s;
  }
  return best;
}

/** Rounds n / d to the nearest whole number, half away from zero; exact for safe integers. */
export function divRoundHalfAway(n: bigint, d: bigint): bigint {
  if (d < 0n) return divRoundHalfAway(-n, -d);
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = (2n * a + d) / (2n * d);
  return neg ? -q : q;
}

/** A count of thousandths (or ten-thousandths, …) written with exactly `decimals` decimals. */
function fixedFromScaled(scaled: bigint, decimals: number): string {
  const neg = scaled < 0n;
  const digits = (neg ? -scaled : scaled).toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/** Whole milliseconds as seconds with 3 decimals: 1500 → "1.500", -5 → "-0.005". */
export function formatSeconds(ms: number): string {
  return fixedFromScaled(BigInt(ms), 3);
}

/** numerator / denominator with `decimals` decimals, rounded half away from zero; "" for 0/0. */
export function formatRatio(numerator: number, denominator: number, decimals = 4): string {
  if (denominator === 0) return '';
  const scale = 10n ** BigInt(decimals);
  return fixedFromScaled(
    divRoundHalfAway(BigInt(numerator) * scale, BigInt(denominator)),
    decimals,
  );
}

/**
 * The `percent` percentile (0–100, whole) of `n` sorted values by linear interpolation between
 * closest ranks (PostgreSQL `percentile_cont`, Excel `PERCENTILE.INC`): the position is
 * p·(n−1), 0-based; `lo` and `hi` are the values at its floor and floor + 1. Returned in
 * whole milliseconds, rounded half away from zero, computed without floating point.
 */
export function interpolatePercentile(
  lo: number,
  hi: number | null,
  n: number,
  percent: number,
): number {
  const remainder = BigInt((percent * (n - 1)) % 100);
  if (remainder === 0n || hi === null) return lo;
  return Number(divRoundHalfAway(100n * BigInt(lo) + (BigInt(hi) - BigInt(lo)) * remainder, 100n));
}

/**
 * The exact whole-millisecond value of a percentile at a whole percent of integer millisecond
 * values, from SQLite's `percentile_cont` (a double). The exact value is
 * (100·lo + (hi − lo)·r) / 100 for integers lo, hi, r, so 100 × the double is within a
 * rounding error of an integer: recover that integer, then round half away from zero. Exact
 * while |value| < 2^53 / 100 ms (about 2,800 years).
 */
export function exactPercentileMs(value: number): number {
  return Number(divRoundHalfAway(BigInt(Math.round(value * 100)), 100n));
}

/** The 0-based rank whose value `interpolatePercentile` takes as `lo`. */
export function percentileRank(n: number, percent: number): number {
  return Math.floor((percent * (n - 1)) / 100);
}

/** The same percentile over an unsorted list (the reference the SQL version is held to). */
export function percentileOf(values: readonly number[], percent: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const k = percentileRank(sorted.length, percent);
  return interpolatePercentile(sorted[k] as number, sorted[k + 1] ?? null, sorted.length, percent);
}

/** An inbound body as opt-out words are compared: trimmed and case-folded. */
export function foldOptOut(text: string): string {
  return text.trim().toUpperCase().toLowerCase();
}

export const DEFAULT_OPT_OUT_WORDS: readonly string[] = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
];

/** "Replied" window: an inbound message later than the send and at most this much after it. */
export const REPLY_WINDOW_MS = 24 * 3600_000;
