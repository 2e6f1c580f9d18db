/**
 * Control characters (C0, DEL, C1) and the bidirectional overrides that reorder what a
 * terminal shows: a remote file name or a reason may carry them, and printed raw they can
 * move the cursor, clear the screen, retitle the window or hide text.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `text` with every unsafe character written as a visible escape (`\x1b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Like `printable`, line by line: line breaks of a multi-line message stay line breaks. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
