import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatIsoInZone,
  dayProblem,
  isValidDay,
  offsetMinutes,
  parseWebioDate,
  zonedToEpoch,
} from '../../src/core/days.js';

// Zones beyond London and Dublin: half- and three-quarter-hour offsets, a southern-hemisphere
// clock change, fixed Etc/ zones (whose sign is inverted in the name), and dates before the
// common era. Offsets are those of the IANA database, stated beside each case.
describe('offsets in other zones', () => {
  it.each([
    ['UTC', Date.UTC(2026, 6, 1), 0],
    ['Etc/UTC', Date.UTC(2026, 6, 1), 0],
    ['Asia/Kolkata', Date.UTC(2026, 0, 15), 330], // IST, +05:30 all year
    ['Asia/Kathmandu', Date.UTC(2026, 0, 15), 345], // +05:45 since 1986
    ['America/St_Johns', Date.UTC(2026, 0, 15), -210], // NST, -03:30
    ['America/St_Johns', Date.UTC(2026, 6, 15), -150], // NDT, -02:30
    ['Australia/Sydney', Date.UTC(2026, 0, 15), 660], // AEDT, +11 in the southern summer
    ['Australia/Sydney', Date.UTC(2026, 6, 15), 600], // AEST, +10 in the southern winter
    ['Etc/GMT+5', Date.UTC(2026, 6, 1), -300], // "GMT+5" is five hours west
    ['Etc/GMT-14', Date.UTC(2026, 6, 1), 840],
    // 101 BC (year -100): Intl writes year 101 with era "BC"; a fixed zone is still +05:00.
    ['Etc/GMT-5', Date.UTC(-100, 0, 1, 12), 300],
  ])('%s at %d is %d minutes east of UTC', (tz, ms, minutes) => {
    expect(offsetMinutes(tz, ms)).toBe(minutes);
  });

  it('formats two-digit offsets and minutes, east and west', () => {
    expect(formatIsoInZone(Date.UTC(2026, 0, 1), 'Australia/Brisbane')).toBe(
      '2026-01-01T10:00:00.000+10:00',
    );
    expect(formatIsoInZone(Date.UTC(2026, 0, 1), 'Asia/Kathmandu')).toBe(
      '2026-01-01T05:45:00.000+05:45',
    );
    expect(formatIsoInZone(Date.UTC(2026, 0, 15, 12), 'America/St_Johns')).toBe(
      '2026-01-15T08:30:00.000-03:30',
    );
    expect(formatIsoInZone(Date.UTC(2026, 0, 1, 12), 'Pacific/Kiritimati')).toBe(
      '2026-01-02T02:00:00.000+14:00',
    );
  });

  it('reads a Dublin time that happens twice as the earlier instant', () => {
    // 2026-10-25: IST (+1) ends at 01:00 UTC, so 01:30 happens at 00:30 UTC and at 01:30 UTC.
    expect(zonedToEpoch('Europe/Dublin', Date.UTC(2026, 9, 25, 1, 30))).toBe(
      Date.UTC(2026, 9, 25, 0, 30),
    );
    // And 01:30 on 29 March does not exist (GMT 01:00 becomes IST 02:00): read as 02:30 IST.
    expect(zonedToEpoch('Europe/Dublin', Date.UTC(2026, 2, 29, 1, 30))).toBe(
      Date.UTC(2026, 2, 29, 1, 30),
    );
  });

  it('reads Sydney wall times around its clock changes', () => {
    // 2026-04-05: clocks go back from 03:00 AEDT to 02:00 AEST, so 02:30 happens twice; the
    // earlier is 02:30 AEDT = 15:30 UTC the day before.
    expect(zonedToEpoch('Australia/Sydney', Date.UTC(2026, 3, 5, 2, 30))).toBe(
      Date.UTC(2026, 3, 4, 15, 30),
    );
    // 2026-10-04: clocks go forward from 02:00 AEST to 03:00 AEDT; 02:30 does not exist and
    // is read as 03:30 AEDT = 16:30 UTC the day before.
    expect(zonedToEpoch('Australia/Sydney', Date.UTC(2026, 9, 4, 2, 30))).toBe(
      Date.UTC(2026, 9, 3, 16, 30),
    );
    // Hours after each change, the new offset: 08:00 AEST on 5 April is 22:00 UTC on the
    // 4th; 08:00 AEDT on 4 October is 21:00 UTC on the 3rd.
    expect(parseWebioDate('2026-04-05 08:00:00', 'Australia/Sydney')).toBe(
      Date.UTC(2026, 3, 4, 22),
    );
    expect(parseWebioDate('2026-10-04 08:00:00', 'Australia/Sydney')).toBe(
      Date.UTC(2026, 9, 3, 21),
    );
  });
});

describe('parseWebioDate edge cases', () => {
  it.each([
    ['2024-02-29 00:00:00', Date.UTC(2024, 1, 29)], // leap day
    ['2026-12-31 23:59:59.999', Date.UTC(2026, 11, 31, 23, 59, 59, 999)],
    ['2026-01-01 10:30', Date.UTC(2026, 0, 1, 10, 30)], // no seconds
    ['2026-01-01T10:30:15', Date.UTC(2026, 0, 1, 10, 30, 15)],
    ['2026-01-01 10:30:15,5', Date.UTC(2026, 0, 1, 10, 30, 15, 500)], // decimal comma
    ['2026-01-01 10:30:15.05', Date.UTC(2026, 0, 1, 10, 30, 15, 50)],
    ['  2026-01-01 10:30:15  ', Date.UTC(2026, 0, 1, 10, 30, 15)],
  ])('%j in UTC is %d', (text, ms) => {
    expect(parseWebioDate(text, 'UTC')).toBe(ms);
  });

  it.each([
    // An explicit zone wins over the source zone (Paris, +01:00 in January, +02:00 in July).
    ['2026-01-01 10:30:00Z', Date.UTC(2026, 0, 1, 10, 30)],
    ['2026-07-01 10:30:00 Z', Date.UTC(2026, 6, 1, 10, 30)],
    ['2026-01-01 10:30:00+00:00', Date.UTC(2026, 0, 1, 10, 30)],
    ['2026-01-01 10:30:00+05:30', Date.UTC(2026, 0, 1, 5, 0)],
    ['2026-01-01 10:30:00+0530', Date.UTC(2026, 0, 1, 5, 0)],
    ['2026-01-01 10:30:00-03:30', Date.UTC(2026, 0, 1, 14, 0)],
    ['2026-01-01 10:30:00-01:45', Date.UTC(2026, 0, 1, 12, 15)],
    // Without one, the source zone: 10:30 in Paris in January is 09:30 UTC.
    ['2026-01-01 10:30:00', Date.UTC(2026, 0, 1, 9, 30)],
  ])('%j read in Europe/Paris is %d', (text, ms) => {
    expect(parseWebioDate(text, 'Europe/Paris')).toBe(ms);
  });

  it.each([
    '2026-13-01 00:00:00',
    '2026-00-10 00:00:00',
    '2026-01-00 00:00:00',
    '2026-04-31 00:00:00',
    '2026-02-29 00:00:00',
    '2026-01-01 24:00:00',
    '2026-01-01 23:60:00',
    '2026-01-01 23:59:60',
    '2026-01-01 10:30.5',
    '2026-01-01 10:30:00+05',
    'x2026-01-01 10:30:00',
    '2026-01-01 10:30:00x',
    '2026-01-01',
    '',
  ])('%j is not a date', (text) => {
    expect(parseWebioDate(text, 'UTC')).toBeUndefined();
  });
});

describe('isValidDay', () => {
  it.each([
    ['2026-01-01', true],
    ['2026-12-31', true],
    ['2026-01-31', true],
    ['2024-02-29', true],
    ['2026-02-29', false],
    ['2026-04-31', false],
    ['2026-13-01', false],
    ['2026-00-01', false],
    ['2026-01-00', false],
    ['2026-1-01', false],
    ['x2026-01-01', false],
    ['2026-01-01x', false],
    ['', false],
  ])('%j: %s', (day, valid) => {
    expect(isValidDay(day)).toBe(valid);
  });
});

describe('dayProblem', () => {
  it.each([
    ['2026-02-28', undefined],
    ['2024-02-29', undefined],
    ['2026-02-29', 'no-such-day'], // 2026 is not a leap year
    ['2026-02-30', 'no-such-day'],
    ['2026-13-01', 'no-such-day'],
    ['2026-00-10', 'no-such-day'],
    ['30/02/2026', 'not-a-date'],
    ['2026-2-3', 'not-a-date'],
  ])('%j: %s', (day, problem) => {
    expect(dayProblem(day)).toBe(problem);
  });
});

describe('formatIsoInZone', () => {
  it('writes what Date.toISOString writes for the local time, with the offset, for any instant', () => {
    const reference = (ms: number, tz: string): string => {
      const off = offsetMinutes(tz, ms);
      const abs = Math.abs(off);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const mm = String(abs % 60).padStart(2, '0');
      const local = new Date(ms + off * 60000).toISOString().slice(0, -1);
      return `${local}${off < 0 ? '-' : '+'}${hh}:${mm}`;
    };
    const zones = [
      'UTC',
      'Europe/London',
      'Asia/Kolkata',
      'America/St_Johns',
      'Pacific/Kiritimati',
    ];
    fc.assert(
      fc.property(
        // From 1900 to 2200, and whole days either side of a midnight.
        fc.oneof(
          fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
          fc.integer({ min: -3, max: 3 }).map((d) => Date.UTC(2026, 2, 29) + d * 86_400_000 - 1),
        ),
        fc.constantFrom(...zones),
        (ms, tz) => {
          expect(formatIsoInZone(ms, tz)).toBe(reference(ms, tz));
        },
      ),
      { numRuns: 5000 },
    );
    // Days alternate: the cached day must follow.
    expect(formatIsoInZone(Date.UTC(2026, 0, 2, 0, 0, 0, 5), 'UTC')).toBe(
      '2026-01-02T00:00:00.005+00:00',
    );
    expect(formatIsoInZone(Date.UTC(2026, 0, 1, 23, 59, 59, 999), 'UTC')).toBe(
      '2026-01-01T23:59:59.999+00:00',
    );
    expect(formatIsoInZone(Date.UTC(2026, 0, 2, 0, 0, 10), 'UTC')).toBe(
      '2026-01-02T00:00:10.000+00:00',
    );
    expect(formatIsoInZone(Date.UTC(1969, 11, 31, 23, 59, 59, 50), 'UTC')).toBe(
      '1969-12-31T23:59:59.050+00:00',
    );
  });
});
