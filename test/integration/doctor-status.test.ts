import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/io/store/index.js';
import { json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { dropFile, runCli, setupConfig } from '../helpers/harness.js';
import { startProftpd } from '../helpers/proftpd.mjs';
import { ingestEvents } from '../helpers/store.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

describe('doctor', () => {
  it('shows the host key fingerprint, logs in, lists the folder and checks the folders are writable', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'a.json', json(messageSend));
    dropFile(t.remoteDir, 'b.json.part', 'x');
    const r = await runCli(['doctor', '--config', t.configFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`server offers ${sshd.fingerprint} (ssh-ed25519), matching the pin`);
    expect(r.stdout).toContain(`${t.remoteDir}: 2 entries, 1 matching *.json`);
    // What the service does there, tried with a probe: moved in from remoteDir, deleted
    // (and the folders were created, as the first poll would have).
    expect(r.stdout).toContain(
      `ok   processedDir: ${t.processedDir}: created and files can be moved in from ${t.remoteDir} and deleted`,
    );
    expect(r.stdout).toContain(
      `ok   errorDir: ${t.errorDir}: created and files can be moved in from ${t.remoteDir} and deleted`,
    );
    expect(fs.readdirSync(t.remoteDir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(fs.readdirSync(t.processedDir)).toEqual([]);
  });

  it('on a server that allows renames but not deletes: fails only what the config needs, and names a probe it leaves', async () => {
    const proftpd = await startProftpd({ denyDelete: true });
    try {
      // retention.processedDays (30 by default) deletes old files in processedDir.
      const t = setupConfig(proftpd);
      const r = await runCli(['doctor', '--config', t.configFile]);
      expect(r.code).toBe(1);
      const failing = r.stdout.split('\n').find((l) => l.startsWith('FAIL processedDir:'));
      expect(failing).toContain(
        `files can be moved in from ${t.remoteDir}, but files cannot be deleted there`,
      );
      expect(failing).toContain('retention.processedDays needs deletes');
      const probe = /the probe (\S+) was left behind/.exec(failing ?? '')?.[1];
      expect(probe && fs.existsSync(probe)).toBe(true);
      // No setting deletes in errorDir (errorDays is null by default): not a failure there.
      expect(r.stdout).toMatch(
        /ok {3}errorDir: .*but files cannot be deleted there.*\(no setting needs deletes there\)/,
      );

      // Without processed retention nothing needs deletes: every check is ok.
      const kept = setupConfig(proftpd, {}, { retention: { processedDays: null } });
      const ok = await runCli(['doctor', '--config', kept.configFile]);
      expect(ok.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(ok.code).toBe(0);
    } finally {
      proftpd.stop();
    }
  });

  it('without a pin shows what the server offers and sends no credentials', async () => {
    const t = setupConfig(sshd, { hostKeyFingerprint: undefined });
    const logins = () =>
      fs.readFileSync(`${sshd.dir}/sshd.log`, 'utf8').match(/Accepted publickey/g)?.length ?? 0;
    const before = logins();
    const r = await runCli(['doctor', '--config', t.configFile, '--json']);
    expect(logins()).toBe(before);
    // A missing pin is a config problem: exit 2, as ingest and run exit with it.
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['config', true],
      ['host key', false],
      ['database folder', true],
      ['export folder', true],
      ['file modes', true],
      ['status codes', true],
    ]);
    expect(out.checks[1].detail).toContain(sshd.fingerprint);
  });

  it('never prints the password', async () => {
    const t = setupConfig(sshd, { password: 'hunter2-secret', privateKeyPath: undefined });
    const r = await runCli(['doctor', '--config', t.configFile, '--json', '--verbose']);
    expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
    expect(JSON.parse(r.stdout).config.sftp.password).toBe('***');
  });
});

describe('status', () => {
  it('shows counts, the last poll and the quarantine', async () => {
    const t = setupConfig(sshd, {}, { export: { dir: '/tmp/unused', timezone: 'UTC' } });
    dropFile(
      t.remoteDir,
      'a.json',
      json({
        ...messageSend,
        dateCreated: new Date(Date.now() - 3600_000)
          .toISOString()
          .replace('T', ' ')
          .replace('Z', ''),
      }),
    );
    dropFile(t.remoteDir, 'bad.json', '{oops', 600);
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const r = await runCli(['status', '--config', t.configFile, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.counts.typed).toEqual({ sends: 1, inbound: 0, statuses: 0 });
    expect(s.lastPoll.ok).toBe(true);
    expect(s.quarantine.total).toBe(1);
    expect(s.quarantine.latest[0]).toMatchObject({ name: 'bad.json', reason: 'not-json' });
    expect(s.days.reduce((a: number, d: { sends: number }) => a + d.sends, 0)).toBe(1);
    // The send has no delivery report yet.
    expect(
      s.days.reduce((a: number, d: { outcomes: { pending: number } }) => a + d.outcomes.pending, 0),
    ).toBe(1);
    const text = await runCli(['status', '--config', t.configFile]);
    expect(text.stdout).toContain('rows: sends 1, inbound 0, statuses 0');
    expect(text.stdout).toMatch(
      /sends 1 \(delivered 0, failed 0, unconfirmed 0, pending 1, replied 0\)/,
    );
    expect(text.stdout).toContain('quarantine: 1 file(s)');
  });
});

describe('status warnings', () => {
  it('warns when no file has arrived for longer than service.silenceWarningMinutes', async () => {
    const { collectStatus } = await import('../../src/jobs/index.js');
    const { freshStore, ingestEvents } = await import('../helpers/store.js');
    const { store } = freshStore();
    const arrived = Date.UTC(2026, 0, 1, 12);
    ingestEvents(store, [messageSend], 'UTC', arrived);
    const quiet = collectStatus(store, 'x', 'Europe/London', 60, arrived + 59 * 60_000);
    expect(quiet.warnings).toEqual([]);
    const silent = collectStatus(store, 'x', 'Europe/London', 60, arrived + 61 * 60_000);
    expect(silent.warnings).toEqual([
      "no new file has arrived for 61 minutes (service.silenceWarningMinutes is 60): check that Webio's SFTP hook is still delivering",
    ]);
  });
});

describe('the status-code check', () => {
  const webioDate = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

  it('status and doctor list the last 7 days of codes with count, label and class, and warn when 100 reports arrived and none is delivered', async () => {
    const t = setupConfig(sshd);
    const store = new SqliteStore({
      path: t.config.database.path,
      busyTimeoutMs: 1000,
      exportTimeZone: t.config.export.timezone,
    });
    const now = Date.now();
    const report = (id: string, code: string, ms: number) => ({
      ...messageStatusUpdate,
      communicationActionId: id,
      statusCode: code,
      dateCreated: webioDate(ms),
    });
    // 100 reports an hour ago: 50 with code "1", 50 with "2" (what Webio's change notice
    // shows for a send and its delivery report). Under the published list both are failures.
    // Five delivered ones ten days ago are outside the 7 days and must not hide the problem.
    ingestEvents(store, [
      ...Array.from({ length: 50 }, (_, i) => report(`a${i}`, '1', now - 3600_000)),
      ...Array.from({ length: 50 }, (_, i) => report(`b${i}`, '2', now - 3600_000)),
      ...Array.from({ length: 5 }, (_, i) => report(`old${i}`, '0', now - 10 * 86_400_000)),
    ]);
    store.close();

    const r = await runCli(['status', '--config', t.configFile, '--json']);
    // Unhealthy: the warning sets the exit code.
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.statusCodes).toEqual([
      { code: '1', count: 50, label: 'Invalid', class: 'failed' },
      { code: '2', count: 50, label: 'Unavailable', class: 'failed' },
    ]);
    const warning =
      "100 delivery reports in the last 7 days and none in the delivered class (codes 1, 2): the account may use other codes than Webio's published outcomes; check them with Webio and set export.statusClasses (and export.statusLabels)";
    expect(s.warnings).toContain(warning);
    const text = await runCli(['status', '--config', t.configFile]);
    expect(text.stdout).toContain(
      'status codes (last 7 days): 1 Invalid (failed) 50; 2 Unavailable (failed) 50',
    );
    expect(text.stdout).toContain(`WARNING: ${warning}`);

    const d = await runCli(['doctor', '--config', t.configFile]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(
      `FAIL status codes: last 7 days: 1 Invalid (failed) 50; 2 Unavailable (failed) 50. ${warning}`,
    );
  });
});
