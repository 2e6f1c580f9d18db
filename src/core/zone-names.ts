/**
 * Which time zone names the config accepts. Intl accepts far more than IANA zone names: `BST`
 * is Asia/Dhaka to it (+06:00, so a London evening lands in the next day's file), `IST` is
 * Asia/Calcutta, `EST` America/Panama, `CET` Europe/Brussels. Such a name says an offset to
 * the person who wrote it and another place to the program, so only names that say the place
 * pass: `UTC`, `Etc/…` (fixed offsets such as `Etc/GMT-2`), and `Area/Location` in one of the
 * tz database's geographic areas (`Europe/London`, `America/Argentina/Buenos_Aires`), each
 * also known to Intl. Every name of Intl's canonical list has that form. Old aliases of other
 * forms (`GB`, `US/Eastern`, `Zulu`) are refused too, with the name Intl would have used.
 */

/** The geographic areas of the IANA tz database, the first part of every Area/Location name. */
const AREAS = new Set([
  'Africa',
  'America',
  'Antarctica',
  'Arctic',
  'Asia',
  'Atlantic',
  'Australia',
  'Europe',
  'Indian',
  'Pacific',
]);

const AREA_LOCATION = /^([A-Za-z]+)\/[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z][A-Za-z0-9_+-]*)?$/;
const ETC = /^Etc\/[A-Za-z0-9+-]+$/;

/** The zone Intl resolves `name` to, or undefined when Intl does not know it. */
function resolvedByIntl(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Why `name` is refused as a time zone, or undefined when it is accepted. */
export function timeZoneProblem(name: string): string | undefined {
  // Newer Intl (Node 22 and later) accepts offsets as zones; the rule is the same on every Node.
  const offset = /^([+-])(\d{2}):?(\d{2})?$/.exec(name);
  if (offset) {
    const hours = Number(offset[2]);
    const etc =
      offset[3] && offset[3] !== '00'
        ? undefined
        : `Etc/GMT${offset[1] === '+' ? '-' : '+'}${hours}`;
    return `"${name}" is an offset, not an IANA time zone: it never follows summer time; write the zone as Region/City, e.g. "Europe/London"${etc ? `, or "${etc}" for that fixed offset (its sign is reversed)` : ''}`;
  }
  const resolved = resolvedByIntl(name);
  if (resolved === undefined) return 'not an IANA time zone (e.g. "Europe/London", "UTC")';
  if (name === 'UTC' || ETC.test(name)) return undefined;
  const area = AREA_LOCATION.exec(name)?.[1];
  if (area !== undefined && AREAS.has(area)) return undefined;
  return `"${name}" is an abbreviation or an old alias, not a Region/City zone name, and may not mean what it says (Intl reads it as ${resolved}); write the zone as Region/City, e.g. "Europe/London", or "UTC"`;
}
