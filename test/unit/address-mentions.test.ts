import { describe, expect, it } from 'vitest';
import { addressKey, addressKeyOf } from '../../src/core/address.js';
import { countMentions, mentionScanner } from '../../src/core/address-mentions.js';

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
