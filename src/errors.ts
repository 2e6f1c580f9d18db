import { counted } from './core/plural.js';

/** Operational failures: each carries a stable `code`, a message that says how to fix it, and its cause. */
export class AppError extends Error {
  readonly code: string;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;
  /** Set once a command printed this failure inside its own --json result. */
  reported = false;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The configuration is missing, unreadable or invalid. Exit code 2. */
export class ConfigError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', message, { ...options, exitCode: 2 });
  }
}

/** The SFTP server offered a host key whose fingerprint is not the pinned one. */
export class HostKeyMismatchError extends AppError {
  readonly offered: string;
  constructor(offered: string, pinned: string | undefined) {
    super(
      'HOST_KEY_MISMATCH',
      pinned
        ? `host key mismatch: server offered ${offered}, config pins ${pinned}; if the server's key really changed, update sftp.hostKeyFingerprint (run \`webio-reports doctor\`)`
        : `host key not pinned: server offered ${offered}; set sftp.hostKeyFingerprint to it after checking it with the server's administrator`,
    );
    this.offered = offered;
  }
}

/**
 * What kind of failure an SFTP operation met, so that callers decide without reading status
 * numbers or message text:
 * - `not-found`, `denied`, `exists`: the server answered about this one file;
 * - `failure`: the server answered with a generic failure about this one file;
 * - `connection`: the session is gone or stalled (every request in flight fails with it).
 */
export type SftpFailure = 'not-found' | 'denied' | 'exists' | 'failure' | 'connection';

/** Connecting, authenticating or talking to the SFTP server failed; `stage` says where. */
export class SftpError extends AppError {
  readonly stage: string;
  readonly kind: SftpFailure;
  constructor(
    stage: string,
    message: string,
    options: { cause?: unknown; kind?: SftpFailure } = {},
  ) {
    super('SFTP', `sftp ${stage}: ${message}`, options);
    this.stage = stage;
    this.kind = options.kind ?? 'connection';
  }
}

/** The kind of an SFTP failure, or undefined for an error that is not one. */
export function sftpFailureOf(err: unknown): SftpFailure | undefined {
  return err instanceof SftpError ? err.kind : undefined;
}

/**
 * Another process holds one of the store's locks: the service lock (a second `run`), or the
 * write lock for longer than the caller would wait.
 */
export class LockedError extends AppError {
  readonly pid: number;
  constructor(lockPath: string, pid: number, kind: 'service' | 'write' = 'write', waitedMs = 0) {
    const who = pid > 0 ? `process ${pid}` : 'another process';
    super(
      'LOCKED',
      kind === 'service'
        ? `the store is in use by ${who}, a service (\`run\`) already running on it (lock file ${lockPath}); one service per store: stop that one first (e.g. \`pm2 stop webio-reports\`)`
        : `the store is in use by ${who}, which is writing to it (a poll, export, purge or erase)${waitedMs > 0 ? ` and did not finish within database.busyTimeoutMs (${waitedMs} ms)` : ''} (lock file ${lockPath}); try again when it is done, or raise database.busyTimeoutMs`,
    );
    this.pid = pid;
  }
}

/**
 * Where a run was when the store failed, and what was safe by then: the message must say
 * what happened to the files, and that depends on it.
 * - `commit`: a slice of fetched files was being committed (`storedFiles` were committed
 *   and are being finished before it);
 * - `record-finishes`: every fetched file is stored; some were moved or deleted on the
 *   server without that being recorded;
 * - `record-run`: the run completed; only its entry in the run history is missing.
 */
export type StoreStage = 'commit' | 'record-finishes' | 'record-run';

/** A store failure inside a run, with the stage it happened at (see `StoreStage`). */
export class StoreStageFailure extends Error {
  constructor(
    readonly stage: StoreStage,
    readonly storedFiles: number,
    cause: unknown,
  ) {
    super(describeError(cause), { cause });
  }
}

/** The SQLite store refused a write (disk full, I/O error, locked by another process). */
export class StoreError extends AppError {
  constructor(path: string, cause: unknown, context?: { stage: StoreStage; storedFiles: number }) {
    const code = (cause as { code?: unknown }).code;
    const full =
      code === 'SQLITE_FULL' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'));
    const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
    const what = !context
      ? 'nothing was changed'
      : context.stage === 'commit'
        ? `the slice being committed was rolled back and its files stay on the server for the next poll${context.storedFiles ? `; ${counted(context.storedFiles, 'file')} committed before it ${context.storedFiles === 1 ? 'is' : 'are'} stored and finished as usual` : ''}`
        : context.stage === 'record-finishes'
          ? 'every fetched file is stored; files moved or deleted on the server just now are recorded by the next poll'
          : 'the run itself completed (its events are stored and its files finished); only its entry in the run history is missing';
    const hint = full
      ? `; ${code === 'SQLITE_FULL' ? 'free disk space' : 'is the disk full or failing?'}: ${what}`
      : busy
        ? `; another process held the database longer than database.busyTimeoutMs; ${what}`
        : '';
    super('STORE', `store ${path}: ${describeError(cause)}${hint}`, { cause });
  }
}

/** A store failure, made into the StoreError that says what happened; anything else as it is. */
export function asStoreError(path: string, err: unknown): unknown {
  if (err instanceof StoreStageFailure)
    return isTransientStoreError(err.cause)
      ? new StoreError(path, err.cause, { stage: err.stage, storedFiles: err.storedFiles })
      : err.cause;
  return isTransientStoreError(err) ? new StoreError(path, err) : err;
}

/** SQLite errors that are about the environment, not a bug: retried on the next tick. */
export function isTransientStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    typeof code === 'string' && /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY)/.test(code)
  );
}

/** Writing an export file failed; the previous file, if any, is left intact. */
export class ExportWriteError extends AppError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super('EXPORT_WRITE', `could not write ${path}: ${describeError(cause)}`, { cause });
    this.path = path;
  }
}

/** One line that names an error and its cause chain, without a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const own =
      typeof code === 'string' && !err.message.includes(code) && !(err instanceof AppError)
        ? `${err.message} (${code})`
        : err.message;
    if (
      err.cause !== undefined &&
      !(err instanceof AppError && err.message.includes(describeError(err.cause)))
    ) {
      const inner = describeError(err.cause);
      return inner && !own.includes(inner) ? `${own}: ${inner}` : own;
    }
    return own;
  }
  return String(err);
}

/** Exit codes of a process stopped by a signal, as shells report them (128 + its number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * A one-shot command stopped by SIGINT or SIGTERM at a safe point: what was committed is
 * kept, what was half-written removed. Exit code 130 or 143.
 */
export class StoppedError extends AppError {
  constructor(signal: string, kept: string) {
    super('STOPPED', `stopped by ${signal}: ${kept}`, { exitCode: SIGNAL_EXIT[signal] ?? 1 });
  }
}

/** Thrown where work stops because it was asked to. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StopRequested();
}

/** Work stopped because its AbortSignal fired (inside a file being written, a loop). */
export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}
