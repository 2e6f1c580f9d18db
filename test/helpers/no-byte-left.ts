import fs from 'node:fs';
import path from 'node:path';

/**
 * The forms a phone number takes on disk that "no byte left" looks for, worked out from its
 * digits alone (independently of the code under test): the digits, the `+` form, a spaced
 * form and a dashed form as a person writes a UK number (+44 7700 900123), each in UTF-8,
 * UTF-16LE and UTF-16BE. Plain substring search: stricter than erasure's own rule (a longer
 * number that contains the digits is found too), so a test must not hold one.
 */
export function numberForms(digits: string): { name: string; bytes: Buffer }[] {
  const spaced = `${digits.slice(0, 2)} ${digits.slice(2, 6)} ${digits.slice(6)}`;
  const texts = {
    digits,
    plus: `+${digits}`,
    spaced,
    dashed: spaced.replaceAll(' ', '-'),
  };
  return Object.entries(texts).flatMap(([name, text]) => [
    { name, bytes: Buffer.from(text, 'utf8') },
    { name: `${name} in UTF-16LE`, bytes: Buffer.from(text, 'utf16le') },
    { name: `${name} in UTF-16BE`, bytes: Buffer.from(text, 'utf16le').swap16() },
  ]);
}

/** Every regular file under each of `roots` (a file counts as itself), at any depth. */
export function everyFile(roots: readonly string[]): string[] {
  const out: string[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    if (fs.statSync(root).isFile()) {
      out.push(root);
      continue;
    }
    for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true }))
      if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out.sort();
}

/** Where any form of the number is, as "file: form" lines; empty when no byte is left. */
export function findNumber(roots: readonly string[], digits: string): string[] {
  const forms = numberForms(digits);
  const hits: string[] = [];
  for (const file of everyFile(roots)) {
    const bytes = fs.readFileSync(file);
    for (const f of forms) if (bytes.includes(f.bytes)) hits.push(`${file}: ${f.name}`);
  }
  return hits;
}
