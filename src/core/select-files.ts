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
  /**
   * With afterIngest "keep": when an entry is a file already kept (same path, size and
   * time), when it was last read again to compare its content (0 if never); else undefined.
   * Kept files are read again in the slots new files leave, least recently checked first.
   */
  lastChecked?: (entry: RemoteEntry) => number | undefined;
};

export type Selection = {
  /** Files to take this poll, oldest first. */
  selected: RemoteEntry[];
  /** Matching files too young to take yet. */
  young: RemoteEntry[];
  /** Matching, old enough, but beyond maxFilesPerPoll: they wait for the next poll. */
  deferred: number;
  /** Files already kept, to read again this poll and compare (least recently checked first). */
  recheck: RemoteEntry[];
  /** Files already kept (afterIngest keep), rechecked this poll or not. */
  kept: number;
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
  const selector = new FileSelector(opts);
  selector.add(entries);
  return selector.result();
}

const byAgeThenName = (a: RemoteEntry, b: RemoteEntry): number =>
  a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * `selectFiles` over a listing that arrives in chunks: it keeps at most about twice
 * `maxFilesPerPoll` ready entries (the oldest so far) and counts the rest, so a folder of
 * a million entries costs no more memory than one of ten thousand. Oldest-first needs the
 * whole listing, so every chunk is seen; none is kept.
 */
export class FileSelector {
  private readonly matches: (name: string) => boolean;
  private readonly own: Set<string>;
  private readonly minAgeMs: number;
  private ready: RemoteEntry[] = [];
  private readyCount = 0;
  private keptEntries: { entry: RemoteEntry; checkedAt: number }[] = [];
  private keptCount = 0;
  private readonly young: RemoteEntry[] = [];
  private ignored = 0;
  private readonly skipped: Partial<Record<EntryKind, number>> = {};
  /** Regular files seen, whatever their name. */
  files = 0;
  /** Entries seen. */
  entries = 0;

  constructor(private readonly opts: SelectOptions) {
    this.matches = compilePattern(opts.pattern);
    this.own = new Set(opts.ownFolders ?? []);
    this.minAgeMs = opts.minFileAgeSeconds * 1000;
  }

  add(entries: readonly RemoteEntry[]): void {
    for (const e of entries) {
      this.entries++;
      if (e.isFile) this.files++;
      if (isHiddenOrPartial(e.name) || !this.matches(e.name)) {
        this.ignored++;
        continue;
      }
      if (!e.isFile) {
        this.ignored++;
        const kind = e.kind ?? 'other';
        if (!(kind === 'directory' && this.own.has(e.name)))
          this.skipped[kind] = (this.skipped[kind] ?? 0) + 1;
        continue;
      }
      const checkedAt = this.opts.lastChecked?.(e);
      if (checkedAt !== undefined) {
        this.keptCount++;
        this.keptEntries.push({ entry: e, checkedAt });
        if (this.keptEntries.length >= 2 * this.opts.maxFilesPerPoll + 1024) this.trimKept();
        continue;
      }
      if (this.opts.nowMs - e.mtimeMs < this.minAgeMs) {
        this.young.push(e);
        continue;
      }
      this.readyCount++;
      this.ready.push(e);
      if (this.ready.length >= 2 * this.opts.maxFilesPerPoll + 1024) this.trim();
    }
  }

  private trim(): void {
    this.ready.sort(byAgeThenName);
    this.ready.length = Math.min(this.ready.length, this.opts.maxFilesPerPoll);
  }

  private trimKept(): void {
    this.keptEntries.sort((a, b) => a.checkedAt - b.checkedAt || byAgeThenName(a.entry, b.entry));
    this.keptEntries.length = Math.min(this.keptEntries.length, this.opts.maxFilesPerPoll);
  }

  result(): Selection {
    this.trim();
    this.trimKept();
    const slots = Math.max(0, this.opts.maxFilesPerPoll - this.ready.length);
    return {
      selected: this.ready,
      recheck: this.keptEntries.slice(0, slots).map((k) => k.entry),
      kept: this.keptCount,
      young: this.young,
      deferred: this.readyCount - this.ready.length,
      ignored: this.ignored,
      skipped: this.skipped,
    };
  }
}

/**
 * How far the latest of the too-young files is dated ahead of this machine's clock, in whole
 * seconds, when that is more than a minute (a server whose clock is ahead: its files wait
 * for as long); undefined otherwise.
 */
export function clockAheadSeconds(
  young: readonly RemoteEntry[],
  nowMs: number,
): number | undefined {
  const latest = young.reduce((max, e) => Math.max(max, e.mtimeMs), -Infinity);
  const ahead = Math.floor((latest - nowMs) / 1000);
  return ahead > 60 ? ahead : undefined;
}
