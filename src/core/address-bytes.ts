import { DigitRunScanner, mentionScanner, type MentionScanner } from './address-mentions.js';

/*
 * Finding an address in bytes whose encoding is not known: a quarantined file the parser
 * refused, and the store's and the exports' files that erasure reads afterwards. The same
 * rule as in text (address-mentions.ts), in every encoding such bytes may hold.
 */

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
    while (i < last) {
      const a = bytes[i] as number;
      const b = bytes[i + 1] as number;
      if (a !== 0 && b !== 0 && !run.inRun) {
        // A unit with no zero byte is no digit, no "+" and no ASCII separator: outside a run
        // it changes nothing. Text that is not UTF-16 has no zero byte for long stretches:
        // jump to the unit that holds the next one.
        run.previousWasPlus = false;
        const z = bytes.indexOf(0, i + 2);
        if (z < 0) {
          i += (last + 1 - i) & ~1;
          break;
        }
        i = z - ((z - i) & 1);
        continue;
      }
      run.unit(le ? a | (b << 8) : (a << 8) | b);
      i += 2;
    }
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
