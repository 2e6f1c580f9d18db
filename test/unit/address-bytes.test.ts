import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteMentionScanner, countByteMentions } from '../../src/core/address-bytes.js';
import { DigitRunScanner, countMentions } from '../../src/core/address-mentions.js';

const X = '447700911111';

describe('countByteMentions: every encoding the parser recognises, and UTF-16', () => {
  const json = '{"outboundChannelAddress": "+44 7700 911111"}';
  const le = Buffer.from(json, 'utf16le');
  const be = Buffer.from(le).swap16();
  it.each([
    ['UTF-8', Buffer.from(json)],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])],
    ['UTF-8 with a no-break space and an en dash', Buffer.from('é +44\u00a07700\u2013911111 é')],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
    ['UTF-16LE without BOM', le],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
    // Text that starts at an odd offset, as inside a database page.
    ['UTF-16LE at an odd offset', Buffer.concat([Buffer.from([0x01]), le])],
    ['UTF-16BE at an odd offset', Buffer.concat([Buffer.from([0x01]), be])],
  ])('finds the number in %s', (_name, bytes) => {
    expect(countByteMentions(bytes, X)).toBeGreaterThan(0);
  });

  it('names the encoding it found the number in', () => {
    const s = byteMentionScanner(X);
    s.push(Buffer.concat([Buffer.from([0xff, 0xfe]), le]));
    s.end();
    expect(s.found['utf-16le']).toBeGreaterThan(0);
    expect(s.found['utf-8']).toBeUndefined();
  });

  it('finds nothing where there is only another or a longer number, in any encoding', () => {
    for (const text of ['+44 7700 911112', '4477009111119', '1447700911111', '44 7700é911111']) {
      expect(countByteMentions(Buffer.from(text), X)).toBe(0);
      expect(countByteMentions(Buffer.from(text, 'utf16le'), X)).toBe(0);
      expect(countByteMentions(Buffer.from(text, 'utf16le').swap16(), X)).toBe(0);
    }
  });

  it('makes no digit up from the padding of a shifted UTF-16 reading', () => {
    // Odd length: a shifted UTF-16 reading pairs the last "7" with a padding zero byte, and
    // the first "7" of the second text with one before it.
    expect(countByteMentions(Buffer.from('"2021-07-17'), '7')).toBe(0);
    expect(countByteMentions(Buffer.from('71-2021'), '7')).toBe(0);
  });

  it('finds the number across the boundary of two chunks, in every encoding', () => {
    const unicode = Buffer.from('é "+44\u00a07700\u2013911111" é');
    for (const bytes of [Buffer.from(`xx ${json}`), unicode, le, be]) {
      for (let cut = 0; cut <= bytes.length; cut++) {
        const s = byteMentionScanner(X);
        s.push(bytes.subarray(0, cut));
        s.push(bytes.subarray(cut));
        s.end();
        expect(s.count, `cut at ${cut}`).toBeGreaterThan(0);
      }
    }
  });
});

/**
 * The reading the fast lanes must equal: every code unit of every lane fed to the digit-run
 * rule one by one, without skipping, UTF-8 through the platform's TextDecoder, and the
 * shifted UTF-16 readings with their padding bytes marked.
 */
function referenceCount(bytes: Uint8Array, key: string): number {
  let n = countMentions(new TextDecoder('utf-8').decode(bytes), key);
  for (const le of [true, false])
    for (const shifted of [false, true]) {
      const s = new DigitRunScanner(key);
      const b = shifted ? [0, ...bytes, 0] : [...bytes, 0];
      for (let i = 0; i + 1 < b.length; i += 2) {
        const padded = (shifted && i === 0) || i + 2 === b.length;
        const [x, y] = [b[i] as number, b[i + 1] as number];
        s.unit(le ? x | (y << 8) : (x << 8) | y, padded);
      }
      s.end();
      n += s.count;
    }
  return n;
}

describe('the fast byte lanes', () => {
  // Pieces a store or a quarantined file is made of: the number in many forms and
  // encodings, longer numbers, digits, separators, letters, zero bytes, arbitrary bytes.
  const text = fc.constantFrom(
    X,
    `+${X}`,
    `00${X}`,
    '+44 7700 911111',
    '(44) 7700-911.111',
    `1${X}`,
    `${X}9`,
    '7',
    ' ',
    '-',
    '(',
    '+',
    'ab',
    '\u00a0',
    '\u2013',
    'é',
  );
  const piece = fc.oneof(
    text.map((t) => Buffer.from(t, 'utf8')),
    text.map((t) => Buffer.from(t, 'utf16le')),
    text.map((t) => Buffer.from(t, 'utf16le').swap16()),
    fc.uint8Array({ maxLength: 6 }),
    fc.constant(Buffer.from([0, 0])),
  );
  it('count exactly what reading every unit one by one counts, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (pieces, cuts) => {
          const bytes = Buffer.concat(pieces);
          const s = byteMentionScanner(X);
          let from = 0;
          for (const c of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
            s.push(bytes.subarray(from, Math.max(from, c)));
            from = Math.max(from, c);
          }
          s.push(bytes.subarray(from));
          s.end();
          expect(s.count).toBe(referenceCount(bytes, X));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('byte scan of an address that is not a number (webchat-7f3a)', () => {
  const W = 'webchat-7f3a';
  // Two mentions and one longer word that is not one: 2 in every encoding.
  const text = 'a webchat-7f3a b xwebchat-7f3a c (webchat-7f3a)';
  const encodings = [
    ['utf-8', Buffer.from(text)],
    ['utf-16le', Buffer.from(text, 'utf16le')],
    ['utf-16be', Buffer.from(text, 'utf16le').swap16()],
  ] as const;

  it.each(encodings)('counts 2 mentions in %s, from an even and an odd offset', (name, bytes) => {
    for (const shifted of [bytes, Buffer.concat([Buffer.from([0x01]), bytes])]) {
      const s = byteMentionScanner(W);
      s.push(shifted);
      s.end();
      expect(s.found[name]).toBe(2);
      // UTF-16 of ASCII read one byte later in the other byte order is the same text: that
      // reading may count the same mentions again (a count says "mentioned", not how often).
      expect(s.found['utf-8'] ?? 0).toBe(name === 'utf-8' ? 2 : 0);
    }
  });

  it.each(encodings)('counts the same in %s however the bytes are cut in two', (name, bytes) => {
    const whole = byteMentionScanner(W);
    whole.push(bytes);
    whole.end();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const s = byteMentionScanner(W);
      s.push(bytes.subarray(0, cut));
      s.push(bytes.subarray(cut));
      s.end();
      expect(s.found, `cut at ${cut}`).toEqual(whole.found);
      expect(s.found[name], `cut at ${cut}`).toBe(2);
    }
  });

  it('finds the address at the very end of odd-length UTF-16 bytes', () => {
    // The shifted readings pair the last byte with the padding byte after the stream.
    const be = Buffer.concat([Buffer.from([0x20]), Buffer.from(W, 'utf16le').swap16()]);
    expect(countByteMentions(be, W)).toBe(1);
    const le = Buffer.concat([Buffer.from([0x20]), Buffer.from(W, 'utf16le')]);
    expect(countByteMentions(le, W)).toBe(1);
  });
});
