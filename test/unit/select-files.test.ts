import { describe, expect, it } from 'vitest';
import { selectFiles, type RemoteEntry } from '../../src/core/select-files.js';

const now = Date.UTC(2026, 0, 1, 12);
const f = (name: string, ageS: number, isFile = true): RemoteEntry => ({
  name,
  size: 10,
  mtimeMs: now - ageS * 1000,
  isFile,
});
const opts = { pattern: '*.json', minFileAgeSeconds: 5, maxFilesPerPoll: 100, nowMs: now };

describe('selectFiles', () => {
  it('takes matching files oldest first and leaves hidden, partial and other files alone', () => {
    const s = selectFiles(
      [
        f('b.json', 10),
        f('a.json', 20),
        f('.x.json', 60),
        f('c.json.part', 60),
        f('d.filepart', 60),
        f('e.json.tmp', 60),
        f('n.txt', 60),
        f('dir.json', 60, false),
      ],
      opts,
    );
    expect(s.selected.map((e) => e.name)).toEqual(['a.json', 'b.json']);
    expect(s.ignored).toBe(6);
  });

  it('makes files younger than minFileAgeSeconds wait', () => {
    const s = selectFiles([f('old.json', 5), f('new.json', 4)], opts);
    expect(s.selected.map((e) => e.name)).toEqual(['old.json']);
    expect(s.young.map((e) => e.name)).toEqual(['new.json']);
  });

  it('takes at most maxFilesPerPoll, oldest first, breaking ties by name', () => {
    const s = selectFiles([f('c.json', 9), f('b.json', 10), f('a.json', 10)], {
      ...opts,
      maxFilesPerPoll: 2,
    });
    expect(s.selected.map((e) => e.name)).toEqual(['a.json', 'b.json']);
    expect(s.deferred).toBe(1);
  });

  it('honours other patterns', () => {
    const s = selectFiles([f('hook-1.ndjson', 60), f('hook-1.json', 60), f('x.ndjson', 60)], {
      ...opts,
      pattern: 'hook-*.{json,ndjson}',
    });
    expect(s.selected.map((e) => e.name).sort()).toEqual(['hook-1.json', 'hook-1.ndjson']);
  });
});
