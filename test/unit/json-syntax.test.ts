import { describe, expect, it } from 'vitest';
import { describeJsonSyntaxError } from '../../src/core/json-syntax.js';
import { parseWebhookFile } from '../../src/core/parse-file.js';

describe('JSON syntax errors name a place and a kind, never the text', () => {
  it('counts lines and columns from 1', () => {
    // `{"body": "call me on 3538612", oops}`: "{" is column 1, the 20-character string
    // ends at column 29, "," is 30, a space 31, and the bare word starts at column 32.
    expect(describeJsonSyntaxError('{"body": "call me on 3538612", oops}')).toBe(
      'unexpected character at line 1, column 32',
    );
    // Line 3 is `    "password": hunter2-se"`: 4 spaces, 10 for the name, ":" at 15,
    // a space at 16, the unquoted value at 17.
    expect(describeJsonSyntaxError('{\n  "sftp": {\n    "password": hunter2-se"\n  }\n}')).toBe(
      'unexpected character at line 3, column 17',
    );
    // The string opens at column 7 and never closes.
    expect(describeJsonSyntaxError('{"a": "unterminated')).toBe(
      'unterminated string at line 1, column 7',
    );
    // A trailing comma: the value expected at "]", column 7.
    expect(describeJsonSyntaxError('[1, 2,]')).toBe('value expected at line 1, column 7');
  });

  it.each([
    // Columns counted by hand: the token that cannot be there, or the end of the text.
    ['{"a" 1}', 'colon expected at line 1, column 6'],
    ['[1 2]', 'comma expected at line 1, column 4'],
    ['{"a":1', "'}' expected at line 1, column 7"],
    ['[1', "']' expected at line 1, column 3"],
    ['{1:2}', 'property name expected at line 1, column 2'],
    ['{"a":}', 'value expected at line 1, column 6'],
    ['1 2', 'more text after the JSON value at line 1, column 3'],
    ['// note\n{}', 'comments are not JSON at line 1, column 1'],
    ['/* unterminated', 'comments are not JSON at line 1, column 1'],
    ['{"a":1 /* x */}', 'comments are not JSON at line 1, column 8'],
    ['"abc', 'unterminated string at line 1, column 1'],
    ['1e+', 'unterminated number at line 1, column 1'],
    ['"\\u12"', 'malformed \\u escape at line 1, column 1'],
    ['"\\q"', 'invalid escape in a string at line 1, column 1'],
    ['"a\tb"', 'control character in a string at line 1, column 1'],
    ['#', 'unexpected character at line 1, column 1'],
    ['[1,\n', 'value expected at line 2, column 1'],
    ['[\n\n  x]', 'unexpected character at line 3, column 3'],
  ])('describes %j as %j', (text, description) => {
    expect(describeJsonSyntaxError(text)).toBe(description);
  });

  it('says only "not valid JSON" of text that is JSON', () => {
    expect(describeJsonSyntaxError('{"a": [1, 2]}')).toBe('not valid JSON');
  });

  it('keeps a malformed file’s text out of the quarantine reason', () => {
    const secret = 'call me on 353861234567, my name is Aoife';
    for (const text of [
      secret,
      `{"type": "inboundMessage", "body": "${secret}"`,
      `{"type": "inboundMessage"}\n${secret}\n`,
      `[{"body": "${secret}"}, ${secret}]`,
    ]) {
      const r = parseWebhookFile(new TextEncoder().encode(text), 'UTC', Date.now());
      expect(r.ok).toBe(false);
      const detail = r.ok ? '' : r.detail;
      expect(detail).toMatch(/line \d+, column \d+/);
      for (const word of ['353861234567', 'Aoife', 'call', 'my name'])
        expect(detail).not.toContain(word);
    }
  });
});
