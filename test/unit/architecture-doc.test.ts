/**
 * docs/architecture.md and README describe the tree as it is: every folder of src/ is named in
 * the page, and every path of the project either names exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Every path of the project written in backticks (a glob such as `bench/*.mjs` aside). */
function namedPaths(text: string): string[] {
  return [...text.matchAll(/`((?:src|config|docs|test|bench)\/[^`\s]*)`/g)]
    .map((m) => (m[1] ?? '').replace(/\/$/, ''))
    .filter((p) => !p.includes('*'));
}

function folders(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [`${dir}/${e.name}`, ...folders(`${dir}/${e.name}`)]);
}

describe('the architecture page', () => {
  const page = read('docs/architecture.md');

  it('names every folder of src/', () => {
    const named = new Set(namedPaths(page));
    expect(folders('src').filter((f) => !named.has(f))).toEqual([]);
  });

  it.each(['docs/architecture.md', 'README.md'])('%s names no path that is not there', (file) => {
    const missing = namedPaths(read(file)).filter((p) => !fs.existsSync(path.join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it('names every module of each folder it lists file by file', () => {
    // A bullet "- `src/x/`: `a.ts`, `b.ts`" lists that folder's modules.
    const unlisted: string[] = [];
    for (const bullet of page.split(/\n(?=- )/)) {
      const m = /^- `(src\/[^`]+)\/`: ([\s\S]*)/.exec(bullet);
      if (!m) continue;
      const dir = m[1] ?? '';
      const names = new Set([...(m[2] ?? '').matchAll(/`([\w.-]+\.ts)`/g)].map((n) => n[1]));
      if (names.size === 0) continue;
      for (const f of fs.readdirSync(path.join(ROOT, dir)))
        if (f.endsWith('.ts') && !names.has(f)) unlisted.push(`${dir}/${f}`);
    }
    expect(unlisted).toEqual([]);
  });
});
