/**
 * Calendar days and wall-clock times in IANA time zones, with Intl only.
 *
 * Offsets are cached per 15-minute bucket: every transition of the modern tz database
 * falls on a quarter hour, so the cache is exact and makes per-row formatting cheap.
 */

import { timeZoneProblem } from './zone-names.js';

const BUCKET_MS = 15 * 60 * 1000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();

/** True for a zone name the config accepts: see `timeZoneProblem` (abbreviations are refused). */
export function isValidTimeZone(tz: string): boolean {
  return timeZoneProblem(tz) === undefined;
}

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

function computeOffsetMinutes(tz: string, epochMs: number): number {
  const parts = formatterFor(tz).formatToParts(new Date(epochMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const asUtc = Date.UTC(
    year,
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  const wholeSeconds = Math.floor(epochMs / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / 60000);
}

/** Minutes east of UTC that `tz` observes at the instant `epochMs`. */
export function offsetMinutes(tz: string, epochMs: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  let cache = offsetCache.get(tz);
  if (!cache) {
    cache = new Map();
    offsetCache.set(tz, cache);
  }
  const bucket = Math.floor(epochMs / BUCKET_MS);
  let off = cache.get(bucket);
  if (off === undefined) {
    if (cache.size > 200_000) cache.clear();
    off = computeOffsetMinutes(tz, bucket * BUCKET_MS);
    cache.set(bucket, off);
  }
  return off;
}

/**
 * The instant of a wall-clock time in `tz`. A time that occurs twice (clocks going back)
 * is the earlier instant; a time that does not exist (clocks going forward) is moved
 * forward by the gap, as java.time does.
 */
export function zonedToEpoch(tz: string, localAsUtcMs: number): number {
  const before = offsetMinutes(tz, localAsUtcMs - 12 * 3600_000);
  const after = offsetMinutes(tz, localAsUtcMs + 12 * 3600_000);
  let best: number | undefined;
  for (const off of before === after ? [before] : [before, after]) {
    const t = localAsUtcMs - off * 60000;
    if (offsetMinutes(tz, t) === off && (best === undefined || t < best)) best = t;
  }
  return best ?? localAsUtcMs - before * 60000;
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses Webio's `dateCreated` ("2021-01-28 12:22:15.397", no zone) as a wall-clock time in
 * `tz`. An explicit `Z` or offset, when present, wins. Returns undefined for anything else.
 */
export function parseWebioDate(text: string, tz: string): number | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? 0);
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (zone === undefined) return zonedToEpoch(tz, local);
  if (zone === 'Z') return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  return local - off * 60000;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

const DAY_MS = 86_400_000;
/** The last day formatted (rows come in time order, so mostly a hit) and offset suffixes. */
let lastDay = Number.NaN;
let lastDayText = '';
const offsetSuffixes = new Map<number, string>();

function offsetSuffix(off: number): string {
  let suffix = offsetSuffixes.get(off);
  if (suffix === undefined) {
    const abs = Math.abs(off);
    suffix = `${off < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
    offsetSuffixes.set(off, suffix);
  }
  return suffix;
}

/**
 * ISO 8601 with milliseconds and the zone's offset: `2021-07-02T00:30:00.000+01:00`. The
 * same text as `new Date(local).toISOString()` with the offset appended, built from integer
 * parts: this runs for every date cell of every report.
 */
export function formatIsoInZone(epochMs: number, tz: string): string {
  const off = offsetMinutes(tz, epochMs);
  // Whole milliseconds, as a Date keeps them.
  const local = Math.trunc(epochMs) + off * 60000;
  const day = Math.floor(local / DAY_MS);
  if (day !== lastDay) {
    lastDayText = new Date(day * DAY_MS).toISOString().slice(0, -14);
    lastDay = day;
  }
  let t = local - day * DAY_MS;
  const ms = t % 1000;
  t = (t - ms) / 1000;
  const sec = t % 60;
  t = (t - sec) / 60;
  const min = t % 60;
  const hour = (t - min) / 60;
  return `${lastDayText}T${pad2(hour)}:${pad2(min)}:${pad2(sec)}.${pad3(ms)}${offsetSuffix(off)}`;
}

/** The calendar day (YYYY-MM-DD) of an instant in `tz`. */
export function dayInZone(epochMs: number, tz: string): string {
  return new Date(epochMs + offsetMinutes(tz, epochMs) * 60000).toISOString().slice(0, 10);
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isValidDay(day: string): boolean {
  return dayProblem(day) === undefined;
}

/**
 * What is wrong with `day` as a calendar day: not written YYYY-MM-DD, or written so but not
 * a day of the calendar (2026-02-30, 2026-13-01); undefined when it is one.
 */
export function dayProblem(day: string): 'not-a-date' | 'no-such-day' | undefined {
  const m = DAY_RE.exec(day);
  if (!m) return 'not-a-date';
  const month = Number(m[2]);
  const d = Number(m[3]);
  return month >= 1 && month <= 12 && d >= 1 && d <= daysInMonth(Number(m[1]), month)
    ? undefined
    : 'no-such-day';
}

/** The day `n` days after `day` (negative goes back). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The half-open UTC range [start, end) of a calendar day in `tz` (23 or 25 hours on DST days). */
export function dayRange(day: string, tz: string): { startMs: number; endMs: number } {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return {
    startMs: zonedToEpoch(tz, Date.UTC(y, m - 1, d)),
    endMs: zonedToEpoch(tz, Date.UTC(y, m - 1, d + 1)),
  };
}

/** Every day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) out.push(day);
  return out;
}
