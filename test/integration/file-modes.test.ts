import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { CLI, PROJECT_ROOT, dropFile, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

/** Runs the CLI under a given umask, as an operator's shell would. */
function cliUnder(umask: string, args: string[]) {
  const r = spawnSync(
    'sh',
    ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, CLI, ...args],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, WEBIO_REPORTS_CONFIG: '' },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');

/** The modes of the store's files while a process holds it open (WAL and shm exist then). */
function storeModesWhileOpen(umask: string, db: string): Record<string, string> {
  const script = `
    import { SqliteStore } from ${JSON.stringify(path.join(PROJECT_ROOT, 'dist/io/store/index.js'))};
    import fs from 'node:fs';
    const store = new SqliteStore({ path: process.argv[1], busyTimeoutMs: 1000, exportTimeZone: 'UTC' });
    store.markChanged('2021-01-28', Date.now());
    const m = (f) => (fs.statSync(f).mode & 0o777).toString(8).padStart(4, '0');
    console.log(JSON.stringify({ wal: m(process.argv[1] + '-wal'), shm: m(process.argv[1] + '-shm') }));
    store.close();`;
  const r = spawnSync(
    'sh',
    [
      '-c',
      `umask ${umask}; exec "$0" --input-type=module -e "$1" "$2"`,
      process.execPath,
      script,
      db,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe('file modes, whatever the umask', () => {
  for (const umask of ['022', '000']) {
    it(`under umask ${umask}: store, lock and backup 0600, exports 0640 in 0750 folders`, async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'send.json', json(messageSend));
      dropFile(t.remoteDir, 'status.json', json(messageStatusUpdate));
      expect(cliUnder(umask, ['ingest', '--config', t.configFile]).code).toBe(0);
      expect(
        cliUnder(umask, ['export', '--config', t.configFile, '--date', '2021-01-28']).code,
      ).toBe(0);
      const backup = path.join(t.local, 'backups', 'copy.sqlite');
      // backup creates no folder: a typo must not make a tree of folders.
      fs.mkdirSync(path.dirname(backup));
      expect(cliUnder(umask, ['backup', '--config', t.configFile, '--to', backup]).code).toBe(0);

      const db = t.config.database.path;
      expect(mode(db)).toBe('0600');
      expect(mode(`${db}.lock`)).toBe('0600');
      expect(mode(backup)).toBe('0600');
      expect(storeModesWhileOpen(umask, db)).toEqual({ wal: '0600', shm: '0600' });

      const dir = t.config.export.dir;
      expect(mode(dir)).toBe('0750');
      for (const report of ['sends', 'inbound', 'statuses', 'daily-summary', 'other-events']) {
        expect(mode(path.join(dir, report))).toBe('0750');
        expect(mode(path.join(dir, report, `${report}-2021-01-28.csv`))).toBe('0640');
      }
      expect(mode(path.join(dir, 'manifest.json'))).toBe('0640');
    });
  }

  it('takes export.fileMode and dirMode from config, and refuses a mode that is not octal', async () => {
    const t = setupConfig(
      sshd,
      {},
      {
        export: { dir: 'x', timezone: 'UTC', fileMode: '0644', dirMode: '755' },
      },
    );
    const raw = JSON.parse(fs.readFileSync(t.configFile, 'utf8'));
    raw.export.dir = path.join(t.local, 'shared-exports');
    fs.writeFileSync(t.configFile, JSON.stringify(raw));
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    expect(cliUnder('077', ['ingest', '--config', t.configFile]).code).toBe(0);
    expect(cliUnder('077', ['export', '--config', t.configFile, '--date', '2021-01-28']).code).toBe(
      0,
    );
    expect(mode(raw.export.dir)).toBe('0755');
    expect(mode(path.join(raw.export.dir, 'sends', 'sends-2021-01-28.csv'))).toBe('0644');

    raw.export.fileMode = '0999';
    fs.writeFileSync(t.configFile, JSON.stringify(raw));
    const bad = await runCli(['export', '--config', t.configFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('export.fileMode');
  });

  it('doctor names store and export files looser than configured, with the chmod that fixes them', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    expect((await runCli(['export', '--config', t.configFile, '--date', '2021-01-28'])).code).toBe(
      0,
    );
    const clean = JSON.parse((await runCli(['doctor', '--config', t.configFile, '--json'])).stdout);
    expect(clean.checks.filter((c: { name: string }) => c.name === 'file modes')).toEqual([
      expect.objectContaining({ ok: true }),
    ]);

    // As an older version (or a careless copy) left them.
    const db = t.config.database.path;
    fs.chmodSync(db, 0o644);
    fs.chmodSync(path.join(t.config.export.dir, 'sends'), 0o755);
    fs.chmodSync(path.join(t.config.export.dir, 'sends', 'sends-2021-01-28.csv'), 0o644);
    fs.chmodSync(path.join(t.config.export.dir, 'manifest.json'), 0o666);
    const r = await runCli(['doctor', '--config', t.configFile, '--json']);
    expect(r.code).toBe(1);
    const details = JSON.parse(r.stdout)
      .checks.filter((c: { name: string; ok: boolean }) => c.name === 'file modes' && !c.ok)
      .map((c: { detail: string }) => c.detail);
    const sends = path.join(t.config.export.dir, 'sends');
    expect(details).toEqual([
      `${db} is 0644, looser than 0600: chmod 600 ${db}`,
      `${sends} is 0755, looser than export.dirMode 0750: chmod 0750 ${sends}`,
      `2 export file(s) under ${t.config.export.dir} are looser than export.fileMode 0640: find ${t.config.export.dir} -type f -exec chmod 0640 {} +`,
    ]);
  });
});
