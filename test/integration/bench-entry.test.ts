import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/harness.js';

// The benchmarks run the build. They import it through one module, dist/bench-entry.js, so
// that a rename breaks the build instead of a bench nobody runs for weeks.
const BENCH = path.join(PROJECT_ROOT, 'bench');
const scripts = fs.readdirSync(BENCH).filter((f) => f.endsWith('.mjs'));

/** Every `import { a, b } from '<from>'` of a script: where from, and the names. */
function importsOf(text: string): { from: string; names: string[] }[] {
  const out: { from: string; names: string[] }[] = [];
  for (const m of text.matchAll(
    /import\s+(?:\{([^}]*)\}|[\w$]+|\*\s+as\s+[\w$]+)\s+from\s+'([^']+)'/g,
  ))
    out.push({
      from: m[2] ?? '',
      names: (m[1] ?? '')
        .split(',')
        .map((n) => n.trim().split(/\s+as\s+/)[0] ?? '')
        .filter(Boolean),
    });
  return out;
}

describe('the benches use the build through one entry module', () => {
  it('no bench script imports a deep dist/ path', () => {
    expect(scripts.length).toBeGreaterThan(0);
    const deep = scripts.flatMap((s) =>
      importsOf(fs.readFileSync(path.join(BENCH, s), 'utf8'))
        .filter((i) => i.from.includes('dist/') && i.from !== '../dist/bench-entry.js')
        .map((i) => `${s}: ${i.from}`),
    );
    expect(deep).toEqual([]);
  });

  it('every name a bench imports from it is one the built entry exports', async () => {
    const entry = (await import(
      pathToFileURL(path.join(PROJECT_ROOT, 'dist', 'bench-entry.js')).href
    )) as Record<string, unknown>;
    const used = new Set(
      scripts.flatMap((s) =>
        importsOf(fs.readFileSync(path.join(BENCH, s), 'utf8'))
          .filter((i) => i.from === '../dist/bench-entry.js')
          .flatMap((i) => i.names),
      ),
    );
    // The export and ingest benches between them use at least these.
    for (const name of ['SqliteStore', 'runExport', 'exportOptionsFrom', 'ingestOnce'])
      expect(used).toContain(name);
    const missing = [...used].filter((n) => entry[n] === undefined);
    expect(missing).toEqual([]);
  });
});
