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

  it('refuses what Intl does not know, offsets written as text included', () => {
    for (const z of ['Mars/Olympus', 'Etc/Nowhere', '+01:00', '', 'Europe/'])
      expect(timeZoneProblem(z), z).toBe('not an IANA time zone (e.g. "Europe/London", "UTC")');
  });
});
