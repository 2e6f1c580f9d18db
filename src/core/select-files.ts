import picomatch from 'picomatch';

/** A directory entry as the SFTP listing gives it. */
export type RemoteEntry = {
  name: string;
  size: number;
  /** Modification time, ms since the epoch (the server gives whole seconds). */
  mtimeMs: number;
  isFile: boolean;
};

export type SelectOptions = {
  pattern: string;
  minFileAgeSeconds: number;
  maxFilesPerPoll: number;
  nowMs: number;
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
  const minAgeMs = opts.minFileAgeSeconds * 1000;
  for (const e of entries) {
    if (!e.isFile || isHiddenOrPartial(e.name) || !matches(e.name)) {
      ignored++;
      continue;
    }
    if (opts.nowMs - e.mtimeMs < minAgeMs) young.push(e);
    else ready.push(e);
  }
  ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const selected = ready.slice(0, opts.maxFilesPerPoll);
  return { selected, young, deferred: ready.length - selected.length, ignored };
}
