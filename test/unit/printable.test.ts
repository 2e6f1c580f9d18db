import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/core/printable.js';

describe('printable', () => {
  it('writes control characters and bidi overrides as visible escapes', () => {
    expect(printable('\u001b]0;owned\u0007a\u001b[2J.json')).toBe(
      '\\x1b]0;owned\\x07a\\x1b[2J.json',
    );
    expect(printable('a\rb\nc\td\u007fe\u009bf')).toBe('a\\x0db\\x0ac\\x09d\\x7fe\\x9bf');
    // U+202E turns "gpj.exe" around on screen; U+2066 isolates.
    expect(printable('invoice\u202egpj.json\u2066')).toBe('invoice\\u202egpj.json\\u2066');
  });

  it('leaves ordinary text, accents, emoji and right-to-left letters alone', () => {
    for (const s of ['send-2026-11-30.json', 'Zoë 👋 «ok»', 'مرحبا.json', ''])
      expect(printable(s)).toBe(s);
  });

  it('keeps the line breaks of a multi-line message', () => {
    expect(printableLines('invalid config:\n  a\u001b[31m: x')).toBe(
      'invalid config:\n  a\\x1b[31m: x',
    );
  });
});
