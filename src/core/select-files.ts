import picomatch from 'picomatch';

/** A directory entry as the SFTP listing gives it. */
export type RemoteEntry = {
  name: string;
  size: number;
  /** Modification time, ms since the epoch (the server gives whole seconds). */
  mtimeMs: number;
  isFile: boolean;
  /** What the entry is, from its mode (the listing does not follow symlinks). */
  kind?: EntryKind;
};

export type EntryKind = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'device' | 'other';

/** The kind of an entry from the file-type bits of its POSIX mode. */
export function entryKind(mode: number): EntryKind {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    case 0o020000:
    case 0o060000:
      return 'device';
    default:
      return 'other';
  }
}

export type SelectOptions = {
  pattern: string;
  minFileAgeSeconds: number;
  maxFilesPerPoll: number;
  nowMs: number;
  /** Names of this service's own folders inside the watched folder (processed/, error/). */
  ownFolders?: readonly string[];
};

export type Selection = {
  /** Files to take this poll, oldest first. */
  selected: RemoteEntry[];
  /** Matching files too young to take yet. */
  young: RemoteEntry[];
  /** Matching, old enough, but beyond maxFilesPerPoll: they wait for the next poll. */
  deferred: number;
  /** Entries ignored: dotfiles, partial uploads, folders, names not matching the pattern. */
  ignored: number;
  /**
   * Entries whose names match the pattern but that are not regular files (symlinks, FIFOs,
   * folders other than the service's own, …), by kind: never followed, read, moved or
   * deleted, and counted so that the operator learns why they stay.
   */
  skipped: Partial<Record<EntryKind, number>>;
};

const PARTIAL_SUFFIXES = ['.part', '.filepart', '.tmp', '.partial', '.crdownload'];

/** True for names an uploader is still writing or hides on purpose. */
export function isHiddenOrPartial(name: string): boolean {
  const lower = name.toLowerCase();
  return name.startsWith('.') || PARTIAL_SUFFIXES.some((s) => lower.endsWith(s));
}

/** Compiles the `sftp.pattern` glob once; matching is on the bare file name. */
export function compilePattern(pattern: string): (name: string) => boolean {
  return picomatch(pattern, { dot: false, nocase: false });
}

/**
 * Chooses which listed files to take this poll: pattern-matching regular files that are
 * neither hidden nor partial, at least `minFileAgeSeconds` old, oldest first (then by name),
 * at most `maxFilesPerPoll`.
 */
export function selectFiles(entries: readonly RemoteEntry[], opts: SelectOptions): Selection {
  const matches = compilePattern(opts.pattern);
  const ready: RemoteEntry[] = [];
  const young: RemoteEntry[] = [];
  let ignored = 0;
  const skipped: Partial<Record<EntryKind, number>> = {};
  const own = new Set(opts.ownFolders ?? []);
  const minAgeMs = opts.minFileAgeSeconds * 1000;
  for (const e of entries) {
    if (isHiddenOrPartial(e.name) || !matches(e.name)) {
      ignored++;
      continue;
    }
    if (!e.isFile) {
      ignored++;
      const kind = e.kind ?? 'other';
      if (!(kind === 'directory' && own.has(e.name))) skipped[kind] = (skipped[kind] ?? 0) + 1;
      continue;
    }
    if (opts.nowMs - e.mtimeMs < minAgeMs) young.push(e);
    else ready.push(e);
  }
  ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const selected = ready.slice(0, opts.maxFilesPerPoll);
  return { selected, young, deferred: ready.length - selected.length, ignored, skipped };
}
