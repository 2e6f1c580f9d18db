/**
 * Finding a customer's address in text that is not a field: quarantined file contents, and
 * the bytes of the store's and the exports' files that erasure checks afterwards.
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

/** The class of every ASCII character. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII_CLASS[c] = DIGIT;
for (const c of ' -.()') ASCII_CLASS[c.charCodeAt(0)] = SEPARATOR;
ASCII_CLASS[0x2b] = PLUS;

/** Spaces and dashes beyond ASCII that phone numbers are written with. */
const UNICODE_SEPARATORS = new Set([
  0xa0, // no-break space
  0x2009, // thin space
  0x202f, // narrow no-break space
  0x2010,
  0x2011,
  0x2012,
  0x2013,
  0x2014,
  0x2015, // hyphens and dashes
  0x2212, // minus sign
]);

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
 * digit by digit as they come, so a run costs nothing to keep.
 */
class DigitRunScanner implements MentionScanner {
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

/** The encodings a byte scan reads: what the parser recognises and the UTF-16 files it refuses. */
export const SCANNED_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be'] as const;
export type ScannedEncoding = (typeof SCANNED_ENCODINGS)[number];

/** Counts mentions of one key in bytes given chunk by chunk, in every scanned encoding. */
export interface ByteMentionScanner {
  push(bytes: Uint8Array): void;
  end(): void;
  /** Mentions per encoding in which there were any. */
  readonly found: Partial<Record<ScannedEncoding, number>>;
  /** All mentions, whatever the encoding. */
  readonly count: number;
}

/**
 * A byte scanner for `key`: UTF-8 (with or without BOM), and UTF-16 in both byte orders
 * twice, from the first byte and shifted by one (a zero byte before the stream and one
 * after), so text that starts at an odd offset (inside a database page, after a cut) is
 * read too and no byte at either end is dropped (a dropped digit could make a longer number
 * look like the key). Bytes that are no text in an encoding read as characters that end a
 * run, so they never join digits into a match.
 */
export function byteMentionScanner(key: string): ByteMentionScanner {
  const lanes: Lane[] = /^\d+$/.test(key)
    ? [
        new Utf8Lane(key),
        new Utf16Lane(key, 'utf-16le', false),
        new Utf16Lane(key, 'utf-16le', true),
        new Utf16Lane(key, 'utf-16be', false),
        new Utf16Lane(key, 'utf-16be', true),
      ]
    : [
        new DecodingLane(key, 'utf-8', false),
        new DecodingLane(key, 'utf-16le', false),
        new DecodingLane(key, 'utf-16le', true),
        new DecodingLane(key, 'utf-16be', false),
        new DecodingLane(key, 'utf-16be', true),
      ];
  const found: Partial<Record<ScannedEncoding, number>> = {};
  let count = 0;
  return {
    push(bytes) {
      for (const lane of lanes) lane.push(bytes);
    },
    end() {
      for (const lane of lanes) {
        lane.end();
        if (lane.count > 0) found[lane.encoding] = (found[lane.encoding] ?? 0) + lane.count;
      }
      count = lanes.reduce((n, l) => n + l.count, 0);
    },
    get found() {
      return found;
    },
    get count() {
      return count;
    },
  };
}

interface Lane {
  readonly encoding: ScannedEncoding;
  readonly count: number;
  push(bytes: Uint8Array): void;
  end(): void;
}

/**
 * UTF-8 read byte by byte for a digit run (fast: a store is gigabytes). ASCII is itself;
 * the no-break space (C2 A0) and the spaces and dashes of E2 80 xx and E2 88 92 are
 * recognised by their bytes; any other byte of 0x80 and above is part of a character that
 * ends a run.
 */
class Utf8Lane implements Lane {
  readonly encoding = 'utf-8' as const;
  private readonly run: DigitRunScanner;
  /** Inside a separator's bytes: 0 none, 1 after C2, 2 after E2, 3 after E2 80, 4 after E2 88. */
  private state = 0;

  constructor(key: string) {
    this.run = new DigitRunScanner(key);
  }

  get count(): number {
    return this.run.count;
  }

  push(bytes: Uint8Array): void {
    const run = this.run;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      if (this.state === 0) {
        // Most bytes are letters and the like: outside a run they only clear the "+".
        if (b > 0x39 && b < 0x80 && !run.inRun) run.previousWasPlus = false;
        else if (b < 0x80) run.unit(b);
        else if (b === 0xc2) this.state = 1;
        else if (b === 0xe2) this.state = 2;
        else run.unit(0xfffd);
      } else this.inSequence(b);
    }
  }

  private inSequence(b: number): void {
    const s = this.state;
    this.state = 0;
    if (s === 1 && b === 0xa0) return this.run.unit(0xa0);
    if (s === 2 && (b === 0x80 || b === 0x88)) {
      this.state = b === 0x80 ? 3 : 4;
      return;
    }
    if (s === 3 && b >= 0x80 && b <= 0xbf) return this.run.unit(0x2000 | (b & 0x3f));
    if (s === 4 && b >= 0x80 && b <= 0xbf) return this.run.unit(0x2200 | (b & 0x3f));
    // Some other character: it ends a run; a byte that is no continuation starts anew.
    this.run.unit(0xfffd);
    if ((b & 0xc0) !== 0x80) this.push(Uint8Array.of(b));
  }

  end(): void {
    if (this.state !== 0) this.run.unit(0xfffd);
    this.state = 0;
    this.run.end();
  }
}

/** UTF-16 read by code unit for a digit run, in one byte order, optionally shifted by one. */
class Utf16Lane implements Lane {
  private readonly run: DigitRunScanner;
  /** A byte waiting for its partner (a chunk may end inside a code unit), or -1. */
  private pending: number;
  /** The pending byte is the padding before the stream. */
  private pendingIsPadding: boolean;

  constructor(
    key: string,
    readonly encoding: 'utf-16le' | 'utf-16be',
    shifted: boolean,
  ) {
    this.run = new DigitRunScanner(key);
    this.pending = shifted ? 0 : -1;
    this.pendingIsPadding = shifted;
  }

  get count(): number {
    return this.run.count;
  }

  push(bytes: Uint8Array): void {
    const run = this.run;
    const le = this.encoding === 'utf-16le';
    let i = 0;
    if (this.pending >= 0 && bytes.length > 0) {
      const a = this.pending;
      const b = bytes[0] as number;
      run.unit(le ? a | (b << 8) : (a << 8) | b, this.pendingIsPadding);
      this.pending = -1;
      this.pendingIsPadding = false;
      i = 1;
    }
    const last = bytes.length - 1;
    if (le)
      for (; i < last; i += 2) run.unit((bytes[i] as number) | ((bytes[i + 1] as number) << 8));
    else for (; i < last; i += 2) run.unit(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
    if (i === last) this.pending = bytes[last] as number;
  }

  end(): void {
    if (this.pending >= 0) {
      const a = this.pending;
      this.run.unit(this.encoding === 'utf-16le' ? a : a << 8, true);
    }
    this.pending = -1;
    this.pendingIsPadding = false;
    this.run.end();
  }
}

/** Any other key: the bytes decoded as text (slower than the lanes above; such keys are rare). */
class DecodingLane implements Lane {
  private readonly decoder: InstanceType<typeof TextDecoder>;
  private readonly scanner: MentionScanner;
  private started = false;

  constructor(
    key: string,
    readonly encoding: ScannedEncoding,
    private readonly shifted: boolean,
  ) {
    this.decoder = new TextDecoder(encoding, { fatal: false });
    this.scanner = mentionScanner(key);
  }

  get count(): number {
    return this.scanner.count;
  }

  push(bytes: Uint8Array): void {
    if (this.shifted && !this.started)
      this.scanner.push(this.decoder.decode(ZERO, { stream: true }));
    this.started = true;
    this.scanner.push(this.decoder.decode(bytes, { stream: true }));
  }

  end(): void {
    if (this.shifted) this.scanner.push(this.decoder.decode(ZERO, { stream: true }));
    this.scanner.push(this.decoder.decode());
    this.scanner.end();
  }
}

const ZERO = new Uint8Array(1);

/** How often `bytes` mention `key`, in any scanned encoding. */
export function countByteMentions(bytes: Uint8Array, key: string): number {
  const s = byteMentionScanner(key);
  s.push(bytes);
  s.end();
  return s.count;
}
