import { describe, expect, it } from 'vitest';
import { timeZoneProblem } from '../../src/core/zone-names.js';

describe('time zone names', () => {
  it('accepts every zone of Intl’s canonical list, UTC and the Etc/ offsets', () => {
    const canonical = Intl.supportedValuesOf('timeZone');
    expect(canonical.length).toBeGreaterThan(300);
    expect(canonical.filter((z) => timeZoneProblem(z) !== undefined)).toEqual([]);
    for (const z of ['UTC', 'Etc/UTC', 'Etc/GMT', 'Etc/GMT-2', 'Etc/GMT+12', 'Asia/Kolkata'])
      expect(timeZoneProblem(z), z).toBeUndefined();
  });

  it('refuses abbreviations and aliases that Intl takes for some other place', () => {
    for (const z of ['BST', 'IST', 'EST', 'CET', 'MST', 'HST', 'GMT', 'PST8PDT', 'GB', 'Zulu'])
      expect(timeZoneProblem(z), z).toMatch(/^"[^"]+" is an abbreviation or an old alias/);
    // A country or a wrong case is not a geographic area of the tz database.
    expect(timeZoneProblem('US/Eastern')).toMatch(/old alias/);
    expect(timeZoneProblem('europe/london')).toMatch(/old alias/);
  });

  it('refuses what Intl does not know', () => {
    for (const z of ['Mars/Olympus', 'Etc/Nowhere', '', 'Europe/'])
      expect(timeZoneProblem(z), z).toBe('not an IANA time zone (e.g. "Europe/London", "UTC")');
  });

  it('refuses an offset on every Node (newer Intl accepts one), naming the Etc zone to use', () => {
    // +01:00 is one hour east of UTC: Etc/GMT-1 in the tz database's reversed signs.
    expect(timeZoneProblem('+01:00')).toBe(
      '"+01:00" is an offset, not an IANA time zone: it never follows summer time; write the zone as Region/City, e.g. "Europe/London", or "Etc/GMT-1" for that fixed offset (its sign is reversed)',
    );
    expect(timeZoneProblem('-0500')).toContain('or "Etc/GMT+5" for that fixed offset');
    // India's half hour has no Etc zone: only Region/City is offered.
    expect(timeZoneProblem('+05:30')).toBe(
      '"+05:30" is an offset, not an IANA time zone: it never follows summer time; write the zone as Region/City, e.g. "Europe/London"',
    );
  });
});
