import fs from 'node:fs';
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
        schedule.poll: not a cron expression: 2 field(s); give 5 (minute hour day-of-month month day-of-week), or 6 with a leading seconds field]
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

  it('validates schedules with the parser and options the service schedules with', () => {
    const sftp = { username: 'u', password: 'p', hostKeyFingerprint: fp };
    const problems = (schedule: Record<string, string>) => {
      try {
        validateConfig({ sftp, schedule }, {}, 'cfg.json');
        return [];
      } catch (err) {
        return (err as Error).message.split('\n').slice(1);
      }
    };
    // Five fields, six with seconds, steps, lists, ranges, names and nicknames pass.
    for (const ok of ['*/5 * * * *', '*/20 * * * * *', '30 1,2 * * 1-5', '0 9 * JAN MON', '@daily'])
      expect(problems({ poll: ok }), ok).toEqual([]);
    // Each refusal names its key; what croner says about the field is its own wording.
    expect(problems({ poll: '* * * *' })).toEqual([
      '  schedule.poll: not a cron expression: 4 field(s); give 5 (minute hour day-of-month month day-of-week), or 6 with a leading seconds field',
    ]);
    expect(problems({ export: '0 0 0 1 1 * 2030' })[0]).toMatch(
      /^ {2}schedule\.export: not a cron/,
    );
    for (const bad of ['61 * * * *', '*/0 * * * *', '5/10 * * * *', '@reboot'])
      expect(problems({ export: bad })[0], bad).toMatch(
        /^ {2}schedule\.export: not a cron expression/,
      );
    // 30 February never comes: a schedule that would never run is refused, not left silent.
    expect(problems({ export: '0 0 30 2 *' })).toEqual([
      '  schedule.export: this cron expression matches no date, so it would never run',
    ]);
  });

  it('refuses time zone abbreviations and aliases by key path, and keeps IANA names', () => {
    const sftp = { username: 'u', password: 'p', hostKeyFingerprint: fp };
    const zones = (source: string, exp: string, schedule: string) =>
      validateConfig(
        {
          sftp,
          source: { timezone: source },
          export: { timezone: exp },
          schedule: { timezone: schedule },
        },
        {},
        'cfg.json',
      );
    // Intl takes all three, as Asia/Dhaka (+06:00), Asia/Calcutta and America/Panama: a London
    // evening send would land in the next day's file.
    let message = '';
    try {
      zones('BST', 'IST', 'EST');
    } catch (err) {
      message = (err as Error).message;
    }
    const lines = message.split('\n').slice(1);
    expect(lines.map((l) => l.slice(0, l.indexOf(':')).trim())).toEqual([
      'source.timezone',
      'export.timezone',
      'schedule.timezone',
    ]);
    for (const [line, name] of lines.map((l, i) => [l, ['BST', 'IST', 'EST'][i]] as const)) {
      expect(line).toContain(`"${name}" is an abbreviation or an old alias`);
      expect(line).toContain('write the zone as Region/City, e.g. "Europe/London", or "UTC"');
    }
    for (const bad of ['CET', 'GMT', 'EST5EDT', 'US/Eastern', 'GB', 'Zulu', 'europe/london'])
      expect(() => zones('UTC', bad, 'UTC'), bad).toThrow('export.timezone: "');
    expect(() => zones('UTC', 'Mars/Olympus', 'UTC')).toThrow(
      'export.timezone: not an IANA time zone',
    );
    const c = zones('Etc/GMT-2', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata');
    expect([c.source.timezone, c.export.timezone, c.schedule.timezone]).toEqual([
      'Etc/GMT-2',
      'America/Argentina/Buenos_Aires',
      'Asia/Kolkata',
    ]);
    expect(zones('UTC', 'Europe/London', 'Etc/UTC').export.timezone).toBe('Europe/London');
  });
});

describe('server folders that collide', () => {
  const check = (sftp: Record<string, unknown>) => () =>
    validateConfig(
      { sftp: { username: 'u', password: 'p', hostKeyFingerprint: fp, ...sftp } },
      {},
      'cfg.json',
    );

  it('allows the default layout and folders side by side or inside remoteDir', () => {
    expect(check({})).not.toThrow();
    expect(check({ processedDir: '/done', errorDir: '/bad' })).not.toThrow();
    expect(
      check({ processedDir: '/webhooks/a/processed', errorDir: '/webhooks/error2' }),
    ).not.toThrow();
    // Not moving: processedDir is not used, so it cannot collide.
    expect(check({ afterIngest: 'delete', processedDir: '/webhooks/error' })).not.toThrow();
  });

  it.each([
    [
      'processedDir and errorDir the same',
      { processedDir: '/x', errorDir: '/x/' },
      'sftp.errorDir: must differ from sftp.processedDir',
    ],
    [
      'errorDir inside processedDir (purge by processedDays would delete quarantined files)',
      { processedDir: '/webhooks/processed', errorDir: '/webhooks/processed/error' },
      'sftp.errorDir: must not be inside sftp.processedDir (/webhooks/processed)',
    ],
    [
      'processedDir inside errorDir',
      { processedDir: '/webhooks/error/ok', errorDir: '/webhooks/error' },
      'sftp.processedDir: must not be inside sftp.errorDir (/webhooks/error)',
    ],
    [
      'remoteDir inside processedDir',
      { remoteDir: '/data/processed/in', processedDir: '/data/processed' },
      'sftp.remoteDir: must not be inside sftp.processedDir (/data/processed)',
    ],
    [
      'remoteDir inside errorDir',
      { remoteDir: '/data/error/in', errorDir: '/data/error' },
      'sftp.remoteDir: must not be inside sftp.errorDir (/data/error)',
    ],
    [
      'processedDir equal to remoteDir, written differently',
      { remoteDir: '/webhooks', processedDir: '/webhooks/./' },
      'sftp.processedDir: must differ from sftp.remoteDir',
    ],
    [
      'errorDir equal to remoteDir',
      { errorDir: '/webhooks' },
      'sftp.errorDir: must differ from sftp.remoteDir',
    ],
  ])('refuses %s, by key path, as a config error (exit 2)', (_name, sftp, message) => {
    let err: unknown;
    try {
      check(sftp)();
    } catch (e) {
      err = e;
    }
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect((err as Error).message).toContain(`  ${message}`);
  });
});

describe('problems across fields', () => {
  it('are listed with the schema problems, in one message', () => {
    expect(() =>
      validateConfig(
        {
          sftp: { username: 'u', processedDir: '/x', errorDir: '/x/error' },
          export: { timezone: 'Mars/Olympus', addressMode: 'hash' },
        },
        {},
        'cfg.json',
      ),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: invalid config cfg.json:
        export.timezone: not an IANA time zone (e.g. "Europe/London", "UTC")
        sftp: give a passwordFile (or env SFTP_PASSWORD) or a privateKeyPath (or env SFTP_PRIVATE_KEY_PATH)
        sftp.hostKeyFingerprint: required; run \`webio-reports doctor\` to see the fingerprint the server offers, check it with its administrator, and pin it
        sftp.errorDir: must not be inside sftp.processedDir (/x): retention of processed files would reach quarantined ones]
    `);
  });
});

describe('the example config', () => {
  const example = JSON.parse(
    fs.readFileSync(new URL('../../config/config.example.json', import.meta.url), 'utf8'),
  ) as { sftp: Record<string, unknown> };

  it('pins no host key: the first doctor shows the server’s, not a mismatch with a made-up one', () => {
    expect(example.sftp.hostKeyFingerprint).toBeUndefined();
  });

  it('derives processed/ and error/ from remoteDir, so changing remoteDir is enough', () => {
    const c = validateConfig(
      { ...example, sftp: { ...example.sftp, remoteDir: '/data/in', hostKeyFingerprint: fp } },
      {},
      'example',
    );
    expect([c.sftp.processedDir, c.sftp.errorDir]).toEqual([
      '/data/in/processed',
      '/data/in/error',
    ]);
  });
});
