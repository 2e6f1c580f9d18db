/**
 * Finding a customer's address in text that is not a field (a quarantine reason, a message
 * body, a payload); address-bytes.ts applies the same rule to bytes in any encoding.
 *
 * A phone-like key (all digits, from `addressKey`) is found as a *digit run*: digits that
 * spaces, dashes, dots or parentheses may separate (at most `MAX_SEPARATORS` between two
 * digits), taken whole: "+44 7700-900.123" and "(+44) 7700 900123" are 447700900123, and
 * a run is never matched by a part of it, so key 7 is not found in 447700900123 and
 * 447700900123 not in 4477009001234. A leading international `00` is dropped unless a `+`
 * comes right before it, as `addressKey` does. Any other key (a web chat id) is found as
 * written, where no letter or digit touches it on either side.
 */

/** Most separators between two digits of one run: "44 ( 0 )" has two; "44 - 7700" three. */
export const MAX_SEPARATORS = 3;

const OTHER = 0;
const DIGIT = 1;
const SEPARATOR = 2;
const PLUS = 3;

/**
 * What may stand between two digits of a phone number: space, dash, dot, brackets, and the
 * spaces and dashes beyond ASCII that numbers are written with (no-break, thin and narrow
 * no-break spaces; hyphens, en and em dashes, the minus sign). `addressKey` reads an address
 * by the same set.
 */
export const PHONE_SEPARATORS = ' -.()\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2015\u2212';

/** The class of every ASCII character. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII_CLASS[c] = DIGIT;
ASCII_CLASS[0x2b] = PLUS;

/** The separators beyond ASCII, by code unit. */
const UNICODE_SEPARATORS = new Set<number>();
for (const ch of PHONE_SEPARATORS) {
  const c = ch.charCodeAt(0);
  if (c < 0x80) ASCII_CLASS[c] = SEPARATOR;
  else UNICODE_SEPARATORS.add(c);
}

/** The class of a UTF-16 code unit. */
function classOf(c: number): number {
  if (c < 0x80) return ASCII_CLASS[c] as number;
  // Most units are none of them: two comparisons decide, before the set is asked.
  if (c !== 0xa0 && (c < 0x2009 || c > 0x2212)) return OTHER;
  return UNICODE_SEPARATORS.has(c) ? SEPARATOR : OTHER;
}

const isAlnum = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Counts the mentions of one key in text given piece by piece (a stream split anywhere). */
export interface MentionScanner {
  push(text: string): void;
  /** Ends the text: a run at its very end is judged now. */
  end(): void;
  /** Mentions found so far. */
  readonly count: number;
}

/** A scanner for `key` (as `addressKey` returns it); none for an empty key. */
export function mentionScanner(key: string): MentionScanner {
  return /^\d+$/.test(key) ? new DigitRunScanner(key) : new LiteralScanner(key);
}

/** How often `text` mentions `key` (see the module comment for what counts). */
export function countMentions(text: string, key: string): number {
  const s = mentionScanner(key);
  s.push(text);
  s.end();
  return s.count;
}

/**
 * The digit-run rule as a state machine over characters (code units), compared with the key
 * digit by digit as they come, so a run costs nothing to keep. The byte readers of
 * address-bytes.ts feed it one code unit at a time.
 */
export class DigitRunScanner implements MentionScanner {
  count = 0;
  /** Inside a run (read by the byte lanes' fast path). */
  inRun = false;
  /** Digits in the run so far. */
  private n = 0;
  /** The run so far equals the key's first digits. */
  private direct = false;
  /** The run after its first two digits so far equals the key's first digits. */
  private prefixed = false;
  /** The run's first two digits are "00". */
  private zeroZero = false;
  /** A "+" came right before the run. */
  private plus = false;
  /** A digit of the run was made up from a padding byte: the run blocks, never matches. */
  private padded = false;
  private separators = 0;
  /** The last character was "+" (cleared by the byte lanes' fast path). */
  previousWasPlus = false;
  private readonly key: Uint16Array;

  constructor(key: string) {
    this.key = Uint16Array.from(key, (ch) => ch.charCodeAt(0));
  }

  push(text: string): void {
    for (let i = 0; i < text.length; i++) this.unit(text.charCodeAt(i));
  }

  /**
   * One character (a UTF-16 code unit, or an ASCII byte). `padded`: the unit is half made of
   * a padding byte; as a digit it still makes a run longer, but such a run is no match.
   */
  unit(c: number, padded = false): void {
    const cls = c < 0x80 ? (ASCII_CLASS[c] as number) : classOf(c);
    if (cls === DIGIT) {
      if (this.inRun && this.separators > MAX_SEPARATORS) this.finish();
      if (!this.inRun) {
        this.inRun = true;
        this.n = 0;
        this.direct = true;
        this.prefixed = true;
        this.padded = false;
        this.plus = this.previousWasPlus;
      }
      if (padded) this.padded = true;
      const key = this.key;
      const n = this.n;
      this.direct = this.direct && n < key.length && key[n] === c;
      if (n >= 2) this.prefixed = this.prefixed && n - 2 < key.length && key[n - 2] === c;
      else if (n === 1) this.zeroZero = this.zeroZero && c === 0x30;
      else this.zeroZero = c === 0x30;
      this.n = n + 1;
      this.separators = 0;
    } else if (this.inRun && cls === SEPARATOR) {
      this.separators++;
    } else if (this.inRun) {
      this.finish();
    }
    this.previousWasPlus = cls === PLUS;
  }

  end(): void {
    if (this.inRun) this.finish();
    this.previousWasPlus = false;
  }

  private finish(): void {
    this.inRun = false;
    if (this.padded) return;
    // A leading "00" is the international prefix unless a "+" came before it.
    const hit =
      !this.plus && this.zeroZero && this.n >= 2
        ? this.prefixed && this.n - 2 === this.key.length
        : this.direct && this.n === this.key.length;
    if (hit) this.count++;
  }
}

class LiteralScanner implements MentionScanner {
  count = 0;
  /** The text not yet judged, and the character before it; `start` is its position. */
  private buffer = '';
  private start = 0;
  private total = 0;
  /** The first position where a match may still start. */
  private searchFrom = 0;

  constructor(private readonly key: string) {}

  push(text: string): void {
    const n = this.key.length;
    if (n === 0) return;
    this.buffer += text;
    this.total += text.length;
    for (;;) {
      const at = this.buffer.indexOf(this.key, this.searchFrom - this.start);
      if (at < 0) {
        this.searchFrom = Math.max(this.searchFrom, this.total - n + 1);
        break;
      }
      const pos = this.start + at;
      // The character after is not known yet: judge this one with the next piece.
      if (pos + n >= this.total) {
        this.searchFrom = pos;
        break;
      }
      if (this.bounded(pos, true)) this.count++;
      this.searchFrom = pos + 1;
    }
    const keep = Math.max(0, this.searchFrom - 1 - this.start);
    this.buffer = this.buffer.slice(keep);
    this.start += keep;
  }

  end(): void {
    const n = this.key.length;
    const pos = this.total - n;
    if (
      n > 0 &&
      pos >= this.searchFrom &&
      this.buffer.endsWith(this.key) &&
      this.bounded(pos, false)
    )
      this.count++;
    this.buffer = '';
    this.start = this.total;
    this.searchFrom = this.total;
  }

  /** No letter or digit right before `pos` nor (when there is one) right after the match. */
  private bounded(pos: number, hasAfter: boolean): boolean {
    const before = pos === 0 ? -1 : this.buffer.charCodeAt(pos - 1 - this.start);
    const after = hasAfter ? this.buffer.charCodeAt(pos + this.key.length - this.start) : -1;
    return !isAlnum(before) && !isAlnum(after);
  }
}
