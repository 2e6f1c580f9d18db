import { describe, expect, it } from 'vitest';
import { addressKey, addressKeyOf } from '../../src/core/address.js';
import {
  byteMentionScanner,
  countByteMentions,
  countMentions,
  mentionScanner,
} from '../../src/core/address-mentions.js';

const X = '447700911111';

describe('addressKeyOf: the key of an address as JSON holds it', () => {
  it.each([
    ['a string as written', '+44 7700 911111', X],
    ['a JSON number', 447700911111, X],
    ['an integer read from SQLite as a BigInt', 447700911111n, X],
    // A number has no "+" and no leading zero: its decimal digits are the key.
    ['a one-digit number', 7, '7'],
  ])('%s has the key of its digits', (_name, value, key) => {
    expect(addressKeyOf(value)).toBe(key);
  });
  it.each([[null], [undefined], [{ n: X }], [[X]], [Number.NaN], [true]])(
    '%j is no address',
    (value) => {
      expect(addressKeyOf(value)).toBeNull();
    },
  );
});

describe('countMentions: a phone number as a whole digit run', () => {
  it.each([
    // Separators between the digits: spaces, dashes, dots, parentheses.
    ['"outboundChannelAddress": "+44 7700 911111"', 1],
    ['(+44) 7700-911.111', 1],
    ['44 - 7700 - 911111', 1],
    // The international "00" is dropped as addressKey drops it; after a "+" it is part of
    // the number: +0044… is the digits 00447700911111, another number.
    ['0044 7700 911111', 1],
    ['+0044 7700 911111', 0],
    // Unicode separators: no-break space and en dash.
    ['+44\u00a07700\u2013911111', 1],
    // Twice, each bounded by other characters.
    [`${X},${X}`, 2],
    // More than three separators end a run: two runs, each the number.
    [`${X}    ${X}`, 2],
    // A longer number that contains it is not it, at either end.
    ['4477009111119', 0],
    ['1447700911111', 0],
    // Two numbers one space apart are one run of 24 digits: not the number (a documented limit).
    [`${X} ${X}`, 0],
    // Letters end a run; so do a colon, a comma, a quote, a plus sign in the middle.
    [`tel${X}x`, 1],
    [`44+7700911111`, 0],
    // At the very end of the text, and with trailing separators.
    [X, 1],
    [`${X}. `, 1],
  ])('%j mentions 447700911111 %i time(s)', (text, n) => {
    expect(countMentions(text, X)).toBe(n);
  });

  it('finds a short key only as a whole run, never inside a longer one', () => {
    expect(countMentions('+447700922222', '7')).toBe(0);
    expect(countMentions('2021-07-02 09:00', '7')).toBe(0);
    expect(countMentions('line 1, column 17', '7')).toBe(0);
    expect(countMentions('{"n": 7}', '7')).toBe(1);
  });

  it('gives the same count however the text is cut into pieces', () => {
    const text = `a "+44 7700 911111" b 0044-7700-911111, c 4477009111119 d +44 (7700) 911111`;
    const whole = countMentions(text, X);
    expect(whole).toBe(3);
    for (let cut = 0; cut <= text.length; cut++) {
      const s = mentionScanner(X);
      s.push(text.slice(0, cut));
      s.push(text.slice(cut));
      s.end();
      expect(s.count, `cut at ${cut}`).toBe(whole);
    }
  });
});

describe('countMentions: any other address as written, not inside a longer word', () => {
  const W = addressKey(' webchat-7f3a ');
  it.each([
    ['{"outboundChannelAddress":"webchat-7f3a"}', 1],
    ['webchat-7f3a', 1],
    ['webchat-7f3a webchat-7f3a', 2],
    ['webchat-7f3ab', 0],
    ['xwebchat-7f3a', 0],
    ['webchat-7f3a-2', 1],
  ])('%j mentions webchat-7f3a %i time(s)', (text, n) => {
    expect(countMentions(text, W)).toBe(n);
  });

  it('gives the same count however the text is cut into pieces', () => {
    const text = 'a webchat-7f3a b webchat-7f3ax c (webchat-7f3a)';
    for (let cut = 0; cut <= text.length; cut++) {
      const s = mentionScanner(W);
      s.push(text.slice(0, cut));
      s.push(text.slice(cut));
      s.end();
      expect(s.count, `cut at ${cut}`).toBe(2);
    }
  });
});

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
