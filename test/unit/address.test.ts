import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/core/address.js';

// The erasure key (core/address.ts): a phone-like address compares by its digits, with a
// leading "+" or an international "00" dropped; anything else compares as written, trimmed.
describe('addressKey', () => {
  it.each([
    // One UK mobile, written the ways a customer or an agent writes it.
    ['+44 7700 900123', '447700900123'],
    ['00447700900123', '447700900123'],
    ['447700900123', '447700900123'],
    ['  +44 7700 900123\t', '447700900123'],
    ['+44 (0)7700-900.123', '4407700900123'],
    // A national number keeps its trunk 0: only a leading "00" is an international prefix.
    ['07700 900123', '07700900123'],
    ['(0) 7700.900-123', '07700900123'],
    // After "+", a "00" is part of the number, not a prefix.
    ['+0044 7700', '00447700'],
    // "00" only counts at the start.
    ['4400 7700', '44007700'],
    // Dashes and spaces beyond ASCII, as word processors and phones write them.
    ['+44\u20137700\u2013900123', '447700900123'],
    ['+44\u20147700\u2010900\u2011123', '447700900123'],
    ['\u22127700\u2012900123', '7700900123'],
    ['+44\u00a07700\u2009900\u202f123', '447700900123'],
  ])('%j is the phone number %j', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it.each([
    // Web chat ids and anything with a letter or another sign compare as written, trimmed.
    [' webchat-7f3a ', 'webchat-7f3a'],
    ['7700a900123', '7700a900123'],
    ['a7700900123', 'a7700900123'],
    ['7700900123a', '7700900123a'],
    ['+44 7700_900123', '+44 7700_900123'],
    ['44+7700', '44+7700'],
    // A tab or an em space inside is not how a number is written (nor what the byte check
    // after an erasure reads as one): literal.
    ['44\t7700 900123', '44\t7700 900123'],
    ['44\u20037700', '44\u20037700'],
    // A dash-like sign that is not one of the dashes stays literal (U+2016 double bar).
    ['44\u20167700', '44\u20167700'],
    ['++447700', '++447700'],
    ['user@example.com', 'user@example.com'],
    // Phone punctuation without a digit is not a phone number.
    ['+', '+'],
    [' ( ) ', '( )'],
    ['-', '-'],
    ['', ''],
  ])('%j is not a phone number: key %j', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('makes the ways of writing one number one key, and different numbers different keys', () => {
    const forms = ['+44 7700 900123', '00447700900123', '447700900123', '+44-7700-900-123'];
    expect(new Set(forms.map(addressKey)).size).toBe(1);
    expect(addressKey('+44 7700 900124')).not.toBe(addressKey('+44 7700 900123'));
  });
});
