/** Operational failures: each carries a stable `code`, a message that says how to fix it, and its cause. */
export class AppError extends Error {
  readonly code: string;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;

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

/** Connecting, authenticating or talking to the SFTP server failed; `stage` says where. */
export class SftpError extends AppError {
  readonly stage: string;
  constructor(stage: string, message: string, options: { cause?: unknown } = {}) {
    super('SFTP', `sftp ${stage}: ${message}`, options);
    this.stage = stage;
  }
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

/** The SQLite store refused a write (disk full, I/O error, locked by another process). */
export class StoreError extends AppError {
  constructor(path: string, cause: unknown) {
    const code = (cause as { code?: unknown }).code;
    const hint =
      code === 'SQLITE_FULL'
        ? '; free disk space: the batch was rolled back and its files stay on the server for the next poll'
        : code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
          ? '; another process held the database longer than database.busyTimeoutMs; nothing was changed'
          : typeof code === 'string' && code.startsWith('SQLITE_IOERR')
            ? '; is the disk full or failing? The batch was rolled back and its files stay on the server'
            : '';
    super('STORE', `store ${path}: ${describeError(cause)}${hint}`, { cause });
  }
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
