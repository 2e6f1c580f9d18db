import { describe, expect, it } from 'vitest';
import {
  AppError,
  ExportWriteError,
  HostKeyMismatchError,
  LockedError,
  SftpError,
  StoreError,
} from '../../src/errors.js';
import { failureKind } from '../../src/service/failure-kind.js';

describe('failure kinds', () => {
  it('name the failure in fixed words, never its host, user or path', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: /srv/private/x`), { code });
    const cases: [unknown, string][] = [
      [new SftpError('connect', 'webio@sftp.example.com:22: connection refused'), 'sftp-connect'],
      [new SftpError('auth', 'webio@sftp.example.com:22: authentication failed'), 'sftp-auth'],
      [new HostKeyMismatchError('SHA256:abc', 'SHA256:def'), 'host-key-mismatch'],
      [new LockedError('/srv/private/webio.sqlite.lock', 42), 'store-locked'],
      [new StoreError('/srv/private/webio.sqlite', errno('SQLITE_FULL')), 'store-sqlite-full'],
      [new ExportWriteError('/srv/private/sends.csv', errno('ENOSPC')), 'export-write-enospc'],
      [
        new AppError('INGEST_INCOMPLETE', 'ingest stopped early: /srv/private'),
        'ingest-incomplete',
      ],
      [errno('ENOTDIR'), 'enotdir'],
      [new TypeError('x is undefined'), 'unexpected'],
    ];
    for (const [err, kind] of cases) expect(failureKind(err)).toBe(kind);
  });
});
