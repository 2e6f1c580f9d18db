import {
  AppError,
  ExportWriteError,
  HostKeyMismatchError,
  LockedError,
  SftpError,
  StoreError,
  isTransientStoreError,
} from '../errors.js';

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * What kind of failure `err` is, in a few fixed words (`sftp-connect`, `store-sqlite-full`,
 * `export-write-enospc`): what `/healthz` and the failure counter show. Messages name hosts,
 * users and paths; a kind never does, so it can be served to whoever reaches the metrics port
 * and used as a label. The message itself is in the service's log.
 */
export function failureKind(err: unknown): string {
  const causeCode = (e: Error) => {
    const code = (e.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? `-${slug(code)}` : '';
  };
  if (err instanceof SftpError) return `sftp-${slug(err.stage) || 'error'}`;
  if (err instanceof HostKeyMismatchError) return 'host-key-mismatch';
  if (err instanceof LockedError) return 'store-locked';
  if (err instanceof StoreError) return `store${causeCode(err)}`;
  if (err instanceof ExportWriteError) return `export-write${causeCode(err)}`;
  if (err instanceof AppError) return slug(err.code) || 'error';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return slug(code);
  return 'unexpected';
}

/** Operational failures are retried with backoff; anything else is a bug and ends the process. */
export function isOperationalError(err: unknown): boolean {
  if (err instanceof AppError) return true;
  const code = (err as { code?: unknown }).code;
  return isTransientStoreError(err) || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}
