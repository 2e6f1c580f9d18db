import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { json, messageSend } from '../fixtures/webio.js';
import { CLI, PROJECT_ROOT, dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';
import { StoreLock } from '../../src/io/lock.js';

const sshd = useSshd();

async function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How many polls the service has finished. */
function finishedPolls(database: string): number {
  if (!fs.existsSync(database)) return 0;
  const db = new Database(database, { readonly: true });
  try {
    return (
      db
        .prepare(`SELECT count(*) AS n FROM runs WHERE kind = 'ingest' AND ended_at IS NOT NULL`)
        .get() as { n: number }
    ).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

describe('commands beside the running service', () => {
  it('export, ingest, purge and erase run while `run` idles; a second `run` is refused', async () => {
    const yesterday = new Date(Date.now() - 86_400_000);
    const day = yesterday.toISOString().slice(0, 10);
    // Noon UTC: the same calendar day in Europe/London, the export zone.
    const dateCreated = `${day} 12:00:00.000`;
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0 },
      // Polls once a minute and exports once a year: between its start and the next minute
      // the service holds only its own lock and idles.
      { schedule: { poll: '* * * * *', export: '0 3 1 1 *' } },
    );
    dropFile(t.remoteDir, 'send.json', json({ ...messageSend, dateCreated }));
    const service = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    service.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until('the first poll', () => finishedPolls(t.config.database.path) >= 1);
      expect(listDir(t.processedDir)).toEqual(['send.json']);

      // An analyst's export of one day: it waits at most for the current job, and runs.
      const exported = await runCli(['export', '--config', t.configFile, '--date', day]);
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      const csv = fs.readFileSync(
        path.join(t.config.export.dir, 'sends', `sends-${day}.csv`),
        'utf8',
      );
      expect(csv).toContain(String(messageSend.communicationActionId));

      for (const args of [
        ['ingest'],
        ['purge', '--dry-run'],
        ['erase', '--address', '+1 555 0100', '--dry-run'],
      ]) {
        const r = await runCli([...args, '--config', t.configFile]);
        expect(r.stderr, args.join(' ')).toBe('');
        expect(r.code, args.join(' ')).toBe(0);
      }

      const second = await runCli(['run', '--config', t.configFile]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`in use by process ${service.pid}, a service`);
    } finally {
      service.kill('SIGKILL');
      await new Promise((r) => service.once('exit', r));
    }
    // Killed outright, it holds neither lock any more.
    StoreLock.tryAcquire(t.config.database.path, 'service').release();
    StoreLock.tryAcquire(t.config.database.path, 'write').release();
    expect(stderr).toBe('');
  });
});
