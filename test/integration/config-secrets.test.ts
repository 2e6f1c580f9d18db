import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { runCli, tempDir } from '../helpers/harness.js';

const PIN = `SHA256:${'A'.repeat(43)}`;

/** A config file with `sftp` merged in, written with `mode` (whatever the umask). */
function configFile(sftp: Record<string, unknown>, mode: number, text?: string): string {
  const file = path.join(tempDir(), 'config.json');
  const body = { sftp: { username: 'webio', hostKeyFingerprint: PIN, ...sftp } };
  fs.writeFileSync(file, text ?? JSON.stringify(body, null, 2));
  fs.chmodSync(file, mode);
  return file;
}

function secretFile(content: string, mode: number): string {
  const file = path.join(tempDir(), 'secret');
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
  return file;
}

const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('secrets in config', () => {
  it('refuses an inline password or passphrase in a file group or others can read', () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const file = configFile({ password: 'hunter2-secret' }, mode);
      const message = problem(() => loadConfig(file, {}));
      expect(message).toBe(
        `config file ${file} holds sftp.password and is readable by group or others (mode 0${mode.toString(8)}); run \`chmod 600 ${file}\`, or move the secret to sftp.passwordFile`,
      );
      expect(message).not.toContain('hunter2');
    }
    const phrase = configFile({ privateKeyPath: '/k', passphrase: 'correct horse' }, 0o644);
    expect(problem(() => loadConfig(phrase, {}))).toContain('holds sftp.passphrase');
    // Private, it loads; without an inline secret, the mode is the operator's business.
    expect(loadConfig(configFile({ password: 'hunter2-secret' }, 0o600), {}).sftp.password).toBe(
      'hunter2-secret',
    );
    const key = secretFile('a private key\n', 0o600);
    expect(loadConfig(configFile({ privateKeyPath: key }, 0o644), {}).sftp.privateKeyPath).toBe(
      key,
    );
  });

  it('reads sftp.passwordFile and passphraseFile under the same rule', () => {
    const pw = secretFile('s3cret pass\n', 0o600);
    const phrase = secretFile('correct horse\r\n', 0o400);
    const c = loadConfig(
      configFile(
        {
          passwordFile: pw,
          privateKeyPath: secretFile('a private key\n', 0o600),
          passphraseFile: phrase,
        },
        0o644,
      ),
      {},
    );
    expect(c.sftp.password).toBe('s3cret pass');
    expect(c.sftp.passphrase).toBe('correct horse');

    const loose = secretFile('s3cret', 0o640);
    expect(problem(() => loadConfig(configFile({ passwordFile: loose }, 0o644), {}))).toBe(
      `sftp.passwordFile ${loose} is readable by group or others (mode 0640); run \`chmod 600 ${loose}\``,
    );
    const empty = secretFile('\n', 0o600);
    expect(problem(() => loadConfig(configFile({ passwordFile: empty }, 0o644), {}))).toBe(
      `sftp.passwordFile ${empty} is empty`,
    );
    const missing = path.join(tempDir(), 'nope');
    expect(problem(() => loadConfig(configFile({ passwordFile: missing }, 0o644), {}))).toBe(
      `sftp.passwordFile ${missing} cannot be read (ENOENT)`,
    );
    expect(
      problem(() => loadConfig(configFile({ passwordFile: pw }, 0o644), { SFTP_PASSWORD: 'x' })),
    ).toContain('give the password one way only');
  });

  it('reports a config syntax error by line and column, never quoting the file', async () => {
    const file = configFile(
      {},
      0o600,
      '{\n  "sftp": {\n    "username": "webio",\n    "password": hunter2-se"\n  }\n}\n',
    );
    const r = await runCli(['status', '--config', file]);
    expect(r.code).toBe(2);
    // Line 4 is `    "password": hunter2-se"`: the bare value starts at column 17.
    expect(r.stderr.trim()).toBe(
      `webio-reports: config file ${file} is not valid JSON: unexpected character at line 4, column 17`,
    );
  });
});
