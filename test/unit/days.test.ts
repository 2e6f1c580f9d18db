import { describe, expect, it } from 'vitest';
import {
  dayInZone,
  dayRange,
  formatIsoInZone,
  parseWebioDate,
  zonedToEpoch,
} from '../../src/core/days.js';

describe('time zones', () => {
  it('formats ISO 8601 with the zone offset', () => {
    expect(formatIsoInZone(Date.UTC(2021, 6, 1, 23, 30), 'Europe/London')).toBe(
      '2021-07-02T00:30:00.000+01:00',
    );
    expect(formatIsoInZone(Date.UTC(2021, 0, 28, 12, 22, 15, 397), 'Europe/London')).toBe(
      '2021-01-28T12:22:15.397+00:00',
    );
    expect(formatIsoInZone(Date.UTC(2021, 0, 1, 3), 'America/New_York')).toBe(
      '2020-12-31T22:00:00.000-05:00',
    );
    expect(formatIsoInZone(Date.UTC(2021, 0, 1), 'Asia/Kolkata')).toBe(
      '2021-01-01T05:30:00.000+05:30',
    );
  });

  it('gives DST days in London 23 and 25 hours', () => {
    const spring = dayRange('2021-03-28', 'Europe/London');
    const autumn = dayRange('2021-10-31', 'Europe/London');
    expect((spring.endMs - spring.startMs) / 3600_000).toBe(23);
    expect((autumn.endMs - autumn.startMs) / 3600_000).toBe(25);
    expect(spring.startMs).toBe(Date.UTC(2021, 2, 28, 0));
    expect(autumn.startMs).toBe(Date.UTC(2021, 9, 30, 23));
  });

  it('reads an ambiguous wall time as the earlier instant and a skipped one as after the gap', () => {
    // 01:30 happens twice in London on 2021-10-31 (BST, then GMT).
    expect(zonedToEpoch('Europe/London', Date.UTC(2021, 9, 31, 1, 30))).toBe(
      Date.UTC(2021, 9, 31, 0, 30),
    );
    // 01:30 never happens on 2021-03-28; it is read as 02:30 BST.
    expect(zonedToEpoch('Europe/London', Date.UTC(2021, 2, 28, 1, 30))).toBe(
      Date.UTC(2021, 2, 28, 1, 30),
    );
  });

  it('parses Webio dates with and without fractions and zones', () => {
    expect(parseWebioDate('2021-01-28 12:22:15.397', 'UTC')).toBe(
      Date.UTC(2021, 0, 28, 12, 22, 15, 397),
    );
    expect(parseWebioDate('2021-01-28 12:22:15', 'UTC')).toBe(Date.UTC(2021, 0, 28, 12, 22, 15));
    expect(parseWebioDate('2021-01-28T12:22:15.3971234Z', 'Europe/Paris')).toBe(
      Date.UTC(2021, 0, 28, 12, 22, 15, 397),
    );
    expect(parseWebioDate('2021-07-28 12:00:00.000', 'Europe/Paris')).toBe(
      Date.UTC(2021, 6, 28, 10),
    );
    expect(parseWebioDate('2021-02-30 12:00:00', 'UTC')).toBeUndefined();
    expect(parseWebioDate('28/01/2021', 'UTC')).toBeUndefined();
  });

  it('puts an instant on the calendar day of the export zone', () => {
    expect(dayInZone(Date.UTC(2021, 6, 1, 23, 30), 'Europe/London')).toBe('2021-07-02');
    expect(dayInZone(Date.UTC(2021, 6, 1, 23, 30), 'UTC')).toBe('2021-07-01');
  });
  it('reads Dublin wall times within hours after each clock change with the new offset', () => {
    // Dublin: IST (UTC+1) from 2026-03-29 01:00 UTC, GMT (UTC+0) from 2026-10-25 01:00 UTC.
    // 05:00 on 29 March is IST: 04:00 UTC (12 hours earlier the offset was still +0, so a
    // reading that used the earlier offset for both candidates says 05:00 UTC).
    expect(parseWebioDate('2026-03-29 05:00:00', 'Europe/Dublin')).toBe(
      Date.UTC(2026, 2, 29, 4, 0),
    );
    // 08:00 on 25 October is GMT: 08:00 UTC (12 hours earlier it was IST, +1).
    expect(parseWebioDate('2026-10-25 08:00:00', 'Europe/Dublin')).toBe(
      Date.UTC(2026, 9, 25, 8, 0),
    );
    // And just before each change, the old offset: 00:30 GMT, 00:30 IST = 23:30 UTC the day before.
    expect(parseWebioDate('2026-03-29 00:30:00', 'Europe/Dublin')).toBe(
      Date.UTC(2026, 2, 29, 0, 30),
    );
    expect(parseWebioDate('2026-10-25 00:30:00', 'Europe/Dublin')).toBe(
      Date.UTC(2026, 9, 24, 23, 30),
    );
  });
});
