/** Failures that explain themselves, each as a user met it, through the real binary. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, messageSend } from '../fixtures/webio.js';
import { dropFile, runCli, setupConfig, tempDir } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();
let notSsh: net.Server;
let notSshPort: number;
beforeAll(async () => {
  // A port that answers like a web server, not SSH.
  notSsh = net.createServer((sock) => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await new Promise<void>((r) => notSsh.listen(0, '127.0.0.1', () => r()));
  notSshPort = (notSsh.address() as net.AddressInfo).port;
});
afterAll(() => {
  notSsh?.close();
});

const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('failures that explain themselves', () => {
  it('an unknown host names the host and DNS, on one line', async () => {
    const t = setupConfig(sshd, { host: 'no-such-host.invalid' });
    const r = await runCli(['ingest', '--config', t.configFile]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('the host name no-such-host.invalid could not be resolved (DNS)');
    expect(r.stderr).not.toContain('getaddrinfo');
  });

  it('doctor names the configured user and adds no raw library text after its hint', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const t = setupConfig(sshd, { port: closed });
    const r = await runCli(['doctor', '--config', t.configFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${sshd.user}@127.0.0.1:${closed}: connection refused`);
    expect(r.stdout).not.toContain('probe@');
    expect(r.stdout).not.toContain('getConnection');
  });

  it('doctor with a pin but no credential says so, instead of blaming the password', async () => {
    const t = setupConfig(sshd, { privateKeyPath: undefined });
    const r = await runCli(['doctor', '--config', t.configFile]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('FAIL login: no credential');
    expect(r.stdout).not.toContain('authentication failed');
  });

  it('the same config problem gets the same exit code (2) and words from doctor, ingest and run', async () => {
    const credential =
      'give a passwordFile (or env SFTP_PASSWORD) or a privateKeyPath (or env SFTP_PRIVATE_KEY_PATH)';
    const noCredential = setupConfig(sshd, { privateKeyPath: undefined });
    const looseKey = setupConfig(sshd);
    const key = path.join(looseKey.local, 'id_ed25519');
    fs.copyFileSync(sshd.clientKey, key);
    fs.chmodSync(key, 0o644);
    fs.writeFileSync(
      looseKey.configFile,
      JSON.stringify({
        ...looseKey.raw,
        sftp: { ...(looseKey.raw.sftp as object), privateKeyPath: key },
      }),
      { mode: 0o600 },
    );
    const loosePassword = setupConfig(sshd, { privateKeyPath: undefined });
    const pw = path.join(loosePassword.local, 'password');
    fs.writeFileSync(pw, 'secret\n', { mode: 0o644 });
    fs.chmodSync(pw, 0o644);
    fs.writeFileSync(
      loosePassword.configFile,
      JSON.stringify({
        ...loosePassword.raw,
        sftp: { ...(loosePassword.raw.sftp as object), passwordFile: pw },
      }),
      { mode: 0o600 },
    );
    for (const [t, words] of [
      [noCredential, credential],
      [looseKey, `sftp.privateKeyPath ${key} is readable by group or others`],
      [loosePassword, `sftp.passwordFile ${pw} is readable by group or others`],
    ] as const) {
      for (const command of ['doctor', 'ingest', 'run']) {
        const r = await runCli([command, '--config', t.configFile]);
        expect(r.code, `${command}: ${r.stdout}${r.stderr}`).toBe(2);
        expect(`${r.stdout}${r.stderr}`, command).toContain(words);
      }
    }
  });

  it('a WEBIO_REPORTS_CONFIG that names a missing file says so', async () => {
    const missing = path.join(tempDir(), 'nope.json');
    const r = await runCli(['status'], { WEBIO_REPORTS_CONFIG: missing });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `config file ${missing} (named by WEBIO_REPORTS_CONFIG) does not exist`,
    );
  });

  it('doctor says which server folders it created', async () => {
    const t = setupConfig(sshd);
    const r = await runCli(['doctor', '--config', t.configFile]);
    expect(r.stdout).toContain(
      `ok   processedDir: ${t.processedDir}: created and files can be moved in`,
    );
    const again = await runCli(['doctor', '--config', t.configFile]);
    expect(again.stdout).toContain(`ok   processedDir: ${t.processedDir}: files can be moved in`);
  });

  it('a file that is not a private key is named as such, not blamed on the passphrase', async () => {
    const pub = path.join(tempDir(), 'id.pub');
    fs.copyFileSync(`${sshd.clientKey}.pub`, pub);
    fs.chmodSync(pub, 0o600);
    const t = setupConfig(sshd, { privateKeyPath: pub });
    const r = await runCli(['ingest', '--config', t.configFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${pub} is not a private key`);
    expect(r.stderr).not.toContain('SFTP_PASSPHRASE');
  });

  it('a port that is not SSH gives one line, with no stray library output', async () => {
    const t = setupConfig(sshd, { port: notSshPort, connectTimeoutSeconds: 5 });
    const r = await runCli(['ingest', '--config', t.configFile]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr + r.stdout).not.toContain('Global error listener');
  });

  it('no command is a usage error (exit 2) that lists the commands', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Commands:');
    expect(r.stderr).toContain('ingest');
  });

  it('a value option followed by another option says the value is missing (exit 2)', async () => {
    const r = await runCli(['erase', '--address', '--config', 'x.json']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([
      'webio-reports: erase --address needs a value, but the next argument is the option --config',
    ]);
    const backup = await runCli(['backup', '--to', '--json']);
    expect(backup.code).toBe(2);
    expect(backup.stdout).toContain('backup --to needs a value');
  });

  it('a date written right that the calendar lacks is named as no such day (exit 2)', async () => {
    const t = setupConfig(sshd);
    const r = await runCli(['export', '--config', t.configFile, '--date', '2026-02-30']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--date 2026-02-30: there is no such day');
    const format = await runCli(['export', '--config', t.configFile, '--date', '30/02/2026']);
    expect(format.stderr).toContain('expected a date as YYYY-MM-DD');
  });

  it('demo --help tells the truth, and demo --dir on a file is a usage error', async () => {
    const help = await runCli(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('(default: data/demo)');
    expect(help.stdout).not.toContain('--config');
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, 'x');
    const r = await runCli(['demo', '--dir', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--dir ${file} is not a folder`);
  });

  it('--json prints a JSON error object on stdout when a command fails', async () => {
    const t = setupConfig(sshd, { host: 'no-such-host.invalid' });
    const r = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('SFTP');
    expect(out.error.message).toContain('could not be resolved');
  });

  it('--json prints one document when a command with a summary fails: the summary, ok false, the error', async () => {
    // processedDays needs the server, which cannot be reached: purge fails part-way.
    const t = setupConfig(sshd, { host: 'no-such-host.invalid' });
    const r = await runCli(['purge', '--config', t.configFile, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dryRun: false, ok: false, error: { code: 'PURGE_INCOMPLETE' } });
    expect(out.failures[0]).toContain('could not be resolved');
    // Nothing was removed, and purge does not say it was.
    expect(out.server).toEqual({ processed: [], error: [] });
  });

  it('status gives a verdict: exit 1 and healthy false after a failed poll', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'a.json', json(messageSend));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const good = await runCli(['status', '--config', t.configFile, '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).healthy).toBe(true);
    const broken = { ...t.raw, sftp: { ...(t.raw.sftp as object), host: 'no-such-host.invalid' } };
    fs.writeFileSync(t.configFile, JSON.stringify(broken));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(1);
    const bad = await runCli(['status', '--config', t.configFile, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ healthy: false });
    expect(JSON.parse(bad.stdout).warnings[0]).toContain('the last poll failed');
  });

  it('one-shot commands log readable lines, JSON when asked; listing counts files only', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'a.json', json(messageSend));
    const text = await runCli(['ingest', '--config', t.configFile, '-v']);
    expect(text.code).toBe(0);
    const lines = text.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => /^(info|debug|warn): /.test(l))).toBe(true);
    dropFile(t.remoteDir, 'b.json', json({ ...messageSend, communicationActionId: '2' }));
    const asJson = await runCli(['ingest', '--config', t.configFile, '-v', '--log-format', 'json']);
    expect(asJson.code).toBe(0);
    for (const l of asJson.stderr.trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
    // processed/ and error/ now sit in the folder: one file listed, not three entries.
    expect(asJson.stdout).toContain('ingest: 1 file listed');
  });
});
