import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';

const fp = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

describe('config', () => {
  it('fills every default and derives the processed and error folders', () => {
    const c = validateConfig(
      { sftp: { username: 'u', password: 'p', hostKeyFingerprint: fp } },
      {},
      'test',
    );
    expect(c.sftp).toMatchObject({
      port: 22,
      remoteDir: '/webhooks',
      processedDir: '/webhooks/processed',
      errorDir: '/webhooks/error',
      afterIngest: 'move',
      pattern: '*.json',
      minFileAgeSeconds: 5,
      maxFileBytes: 1048576,
    });
    expect(c.export.timezone).toBe('Europe/London');
    expect(c.schedule).toMatchObject({
      poll: '* * * * *',
      export: '15 0 * * *',
      timezone: 'Europe/London',
    });
    expect(c.database.path).toBe('data/webio.sqlite');
  });

  it('writes CSV by default, CSV and Parquet when asked, and refuses Parquet alone or a format twice', () => {
    const sftp = { username: 'u', password: 'p', hostKeyFingerprint: fp };
    const formats = (f?: unknown) =>
      validateConfig({ sftp, export: f === undefined ? {} : { formats: f } }, {}, 'test').export
        .formats;
    expect(formats()).toEqual(['csv']);
    expect(formats(['csv', 'parquet'])).toEqual(['csv', 'parquet']);
    expect(() => formats(['parquet'])).toThrow(
      'export.formats: must include "csv" (the CSV files are always written): ["csv"] or ["csv", "parquet"]',
    );
    expect(() => formats(['csv', 'csv'])).toThrow('export.formats: lists a format twice');
    expect(() => formats(['csv', 'xlsx'])).toThrow('export.formats.1');
  });

  it('takes secrets from the environment', () => {
    const c = validateConfig(
      { sftp: { username: 'u', hostKeyFingerprint: fp } },
      { SFTP_PASSWORD: 's3cret', SFTP_PASSPHRASE: 'pp' },
      'test',
    );
    expect(c.sftp.password).toBe('s3cret');
    expect(c.sftp.passphrase).toBe('pp');
  });

  it('lists every problem by key path at once', () => {
    expect(() =>
      validateConfig(
        {
          sftp: {
            username: '',
            port: 70000,
            hostKeyFingerprint: 'abc',
            afterIngest: 'archive',
            remoteDir: 'relative',
            extra: 1,
          },
          export: { timezone: 'Mars/Olympus' },
          schedule: { poll: 'every minute' },
        },
        {},
        'cfg.json',
      ),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: invalid config cfg.json:
        sftp.port: Too big: expected number to be <=65535
        sftp.username: Too small: expected string to have >=1 characters
        sftp.hostKeyFingerprint: must look like "SHA256:" followed by 43 base64 characters, as \`ssh-keygen -lf\` prints it
        sftp.remoteDir: must be an absolute path on the server
        sftp.afterIngest: Invalid option: expected one of "move"|"delete"|"keep"
        sftp: Unrecognized key: "extra"
        export.timezone: not an IANA time zone (e.g. "Europe/London", "UTC")
        schedule.poll: not a cron expression (5 fields, or 6 with leading seconds)]
    `);
  });

  it('requires a credential and a pinned host key', () => {
    expect(() => validateConfig({ sftp: { username: 'u' } }, {}, 'cfg.json'))
      .toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: invalid config cfg.json:
        sftp: give a passwordFile (or env SFTP_PASSWORD) or a privateKeyPath (or env SFTP_PRIVATE_KEY_PATH)
        sftp.hostKeyFingerprint: required; run \`webio-reports doctor\` to see the fingerprint the server offers, check it with its administrator, and pin it]
    `);
  });

  it('defaults the status classes and opt-out words, and refuses a code in two classes, naming both', () => {
    const sftp = { username: 'u', password: 'p', hostKeyFingerprint: fp };
    const c = validateConfig({ sftp }, {}, 'test');
    expect(c.export.statusClasses.delivered).toEqual(['0']);
    expect(c.export.statusClasses.failed).toEqual([
      '1',
      '2',
      '3',
      '5',
      '6',
      '7',
      '9',
      '10',
      '11',
      '12',
    ]);
    expect(c.export.optOutWords).toEqual([
      'STOP',
      'STOPALL',
      'UNSUBSCRIBE',
      'CANCEL',
      'END',
      'QUIT',
    ]);
    expect(() =>
      validateConfig(
        {
          sftp,
          export: {
            statusClasses: { delivered: ['0', '14'], failed: ['1', '0'], unconfirmed: ['14'] },
            optOutWords: ['STOP', ' '],
          },
        },
        {},
        'cfg.json',
      ),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: invalid config cfg.json:
        export.statusClasses.failed: code "0" is listed in both export.statusClasses.delivered and export.statusClasses.failed; a code belongs to one class (a class not set keeps its default list)
        export.statusClasses.unconfirmed: code "14" is listed in both export.statusClasses.delivered and export.statusClasses.unconfirmed; a code belongs to one class (a class not set keeps its default list)
        export.optOutWords.1: must not be blank]
    `);
  });
});
