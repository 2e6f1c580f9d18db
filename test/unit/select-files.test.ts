import { describe, expect, it } from 'vitest';
import {
  FileSelector,
  clockAheadSeconds,
  entryKind,
  selectFiles,
  type RemoteEntry,
} from '../../src/core/select-files.js';

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

  it("says how far files wait for a server clock ahead of this one, past a minute's skew", () => {
    // Ages are now minus mtime: -61 s is dated 61 s ahead of this clock; -3600 s an hour.
    const young = selectFiles([f('a.json', 2), f('b.json', -61), f('c.json', -3600)], opts).young;
    expect(young.map((e) => e.name)).toEqual(['a.json', 'b.json', 'c.json']);
    expect(clockAheadSeconds(young, now)).toBe(3600);
    // A minute or less is a server that rounds, or a small drift: nothing to say.
    expect(clockAheadSeconds([f('a.json', 2), f('b.json', -60)], now)).toBeUndefined();
    expect(clockAheadSeconds([f('b.json', -61)], now)).toBe(61);
    expect(clockAheadSeconds([], now)).toBeUndefined();
  });

  it('takes at most maxFilesPerPoll, oldest first, breaking ties by name', () => {
    const s = selectFiles([f('c.json', 9), f('b.json', 10), f('a.json', 10)], {
      ...opts,
      maxFilesPerPoll: 2,
    });
    expect(s.selected.map((e) => e.name)).toEqual(['a.json', 'b.json']);
    expect(s.deferred).toBe(1);
  });

  it('matches names case-sensitively, and never takes a dot name even when the pattern asks', () => {
    const s = selectFiles([f('A.JSON', 60), f('.hidden.json', 60), f('b.json', 60)], {
      ...opts,
      pattern: '{*,.*}.{json,JSON}',
    });
    expect(s.selected.map((e) => e.name)).toEqual(['A.JSON', 'b.json']);
    expect(selectFiles([f('A.JSON', 60)], opts).selected).toEqual([]);
  });

  it('tells entry kinds from the POSIX mode bits', () => {
    expect(entryKind(0o100600)).toBe('file');
    expect(entryKind(0o040700)).toBe('directory');
    expect(entryKind(0o120777)).toBe('symlink');
    expect(entryKind(0o010600)).toBe('fifo');
    expect(entryKind(0o140700)).toBe('socket');
    expect(entryKind(0o020620)).toBe('device'); // character device
    expect(entryKind(0o060660)).toBe('device'); // block device
    expect(entryKind(0o000644)).toBe('other');
    expect(entryKind(0o170000)).toBe('other');
  });

  it('breaks ties of equal age by name whatever the listing order', () => {
    const names = ['b.json', 'c.json', 'a.json'];
    for (const order of [names, [...names].reverse(), ['a.json', 'c.json', 'b.json']]) {
      const s = selectFiles(
        order.map((n) => f(n, 10)),
        { ...opts, maxFilesPerPoll: 2 },
      );
      expect(s.selected.map((e) => e.name)).toEqual(['a.json', 'b.json']);
    }
  });

  it('counts a non-file entry of unknown kind as "other"', () => {
    const s = selectFiles([f('odd.json', 60, false), f('a.json', 60)], opts);
    expect(s.skipped).toEqual({ other: 1 });
    expect(s.young).toEqual([]);
    expect(s.selected.map((e) => e.name)).toEqual(['a.json']);
  });

  it('honours other patterns', () => {
    const s = selectFiles([f('hook-1.ndjson', 60), f('hook-1.json', 60), f('x.ndjson', 60)], {
      ...opts,
      pattern: 'hook-*.{json,ndjson}',
    });
    expect(s.selected.map((e) => e.name).sort()).toEqual(['hook-1.json', 'hook-1.ndjson']);
  });

  it('with pattern "*", still leaves dot names and partial uploads alone', () => {
    const s = selectFiles(
      [
        f('a.json', 60),
        f('.hidden', 60),
        f('.a.json.swp', 60),
        f('upload.json.part', 60),
        f('upload.JSON.FILEPART', 60),
        f('x.tmp', 60),
        f('y.partial', 60),
        f('z.crdownload', 60),
        f('plain', 60),
      ],
      { ...opts, pattern: '*' },
    );
    expect(s.selected.map((e) => e.name)).toEqual(['a.json', 'plain']);
    expect(s.ignored).toBe(7);
  });

  it('counts matching entries that are not regular files by kind, but not its own folders', () => {
    const e = (name: string, mode: number): RemoteEntry => ({
      ...f(name, 60, entryKind(mode) === 'file'),
      kind: entryKind(mode),
    });
    const entries = [
      e('a.json', 0o100644),
      e('link.json', 0o120777),
      e('link2.json', 0o120777),
      e('pipe.json', 0o010644),
      e('sock.json', 0o140755),
      e('dir.json', 0o040755),
      e('processed', 0o040755),
      e('error', 0o040755),
      e('.hidden-link.json', 0o120777),
      e('link.txt', 0o120777),
    ];
    const s = selectFiles(entries, { ...opts, ownFolders: ['processed', 'error'] });
    expect(s.selected.map((x) => x.name)).toEqual(['a.json']);
    expect(s.skipped).toEqual({ symlink: 2, fifo: 1, socket: 1, directory: 1 });
    // With pattern "*", folders named like processed/ and error/ are the service's own.
    const all = selectFiles(entries, { ...opts, pattern: '*', ownFolders: ['processed', 'error'] });
    expect(all.skipped).toEqual({ symlink: 3, fifo: 1, socket: 1, directory: 1 });
  });
  it('selects the same oldest files from a listing in chunks as from the whole, keeping few', () => {
    // 5,000 entries with many equal mtimes (ties broken by name), listed in a shuffled order.
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const entries = Array.from({ length: 5000 }, (_, i) =>
      f(`f-${String(i).padStart(5, '0')}.json`, 10 + Math.floor(rand() * 300)),
    ).sort(() => rand() - 0.5);
    // What oldest-first means, worked out directly: sort everything by (mtime, name).
    const expected = [...entries]
      .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1))
      .slice(0, 100)
      .map((e) => e.name);
    const limited = { ...opts, maxFilesPerPoll: 100 };
    const selector = new FileSelector(limited);
    for (let i = 0; i < entries.length; i += 97) selector.add(entries.slice(i, i + 97));
    const chunked = selector.result();
    expect(chunked.selected.map((e) => e.name)).toEqual(expected);
    expect(chunked.deferred).toBe(4900);
    expect(selectFiles(entries, limited).selected.map((e) => e.name)).toEqual(expected);
    expect(selector.entries).toBe(5000);
  });

  describe('files kept after ingest (afterIngest: keep)', () => {
    // lastChecked says when a kept file was last looked at; undefined means never ingested.
    const checked = new Map<string, number>([
      ['k1.json', 300],
      ['k2.json', 100],
      ['k3.json', 100],
    ]);
    const entries = [
      f('k1.json', 90),
      f('a.json', 30),
      f('k2.json', 40),
      f('b.json', 20),
      f('k3.json', 50),
    ];
    const keptOpts = (maxFilesPerPoll: number) => ({
      ...opts,
      maxFilesPerPoll,
      lastChecked: (e: RemoteEntry) => checked.get(e.name),
    });

    it('rechecks them in the slots new files leave, longest unchecked first, then oldest', () => {
      const s = selectFiles(entries, keptOpts(4));
      expect(s.selected.map((e) => e.name)).toEqual(['a.json', 'b.json']);
      // Four slots, two new files: two kept ones. k2 and k3 were both checked at 100 (before
      // k1 at 300); k3 is the older file (50 s against 40 s).
      expect(s.recheck.map((e) => e.name)).toEqual(['k3.json', 'k2.json']);
      expect(s.kept).toBe(3);
      expect(s.deferred).toBe(0);
    });

    it('rechecks none when new files fill the poll, and all when there is room', () => {
      const full = selectFiles(entries, keptOpts(2));
      expect(full.selected.map((e) => e.name)).toEqual(['a.json', 'b.json']);
      expect(full.recheck).toEqual([]);
      expect(full.kept).toBe(3);
      const roomy = selectFiles(entries, keptOpts(10));
      expect(roomy.recheck.map((e) => e.name)).toEqual(['k3.json', 'k2.json', 'k1.json']);
    });

    it('keeps the same longest-unchecked files from a listing in chunks as from the whole', () => {
      // 3,000 kept files, checked at 50 different times, listed in a shuffled order: enough
      // for the selector to trim what it keeps while the listing is still arriving.
      let seed = 11;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const at = new Map<string, number>();
      const many = Array.from({ length: 3000 }, (_, i) => {
        const e = f(`k-${String(i).padStart(5, '0')}.json`, 10 + Math.floor(rand() * 100));
        at.set(e.name, Math.floor(rand() * 50));
        return e;
      }).sort(() => rand() - 0.5);
      const byCheckThenAgeThenName = (a: RemoteEntry, b: RemoteEntry) =>
        (at.get(a.name) ?? 0) - (at.get(b.name) ?? 0) ||
        a.mtimeMs - b.mtimeMs ||
        (a.name < b.name ? -1 : 1);
      const expected = [...many]
        .sort(byCheckThenAgeThenName)
        .slice(0, 100)
        .map((e) => e.name);
      const o = { ...opts, maxFilesPerPoll: 100, lastChecked: (e: RemoteEntry) => at.get(e.name) };
      const selector = new FileSelector(o);
      for (let i = 0; i < many.length; i += 89) selector.add(many.slice(i, i + 89));
      const chunked = selector.result();
      expect(chunked.recheck.map((e) => e.name)).toEqual(expected);
      expect(chunked.kept).toBe(3000);
      expect(chunked.selected).toEqual([]);
      expect(selectFiles(many, o).recheck.map((e) => e.name)).toEqual(expected);
    });
  });

  it('counts every entry and every regular file, whatever its name', () => {
    const selector = new FileSelector(opts);
    selector.add([f('a.json', 60), f('notes.txt', 60), f('.hidden', 60), f('dir', 60, false)]);
    selector.add([f('b.json.part', 60), f('sub.json', 60, false)]);
    expect(selector.entries).toBe(6);
    expect(selector.files).toBe(4);
  });
});
