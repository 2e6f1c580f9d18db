import { spawn } from 'node:child_process';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { messageSend } from '../fixtures/webio.js';
import { CLI, PROJECT_ROOT, dropFile, listDir, setupConfig } from '../helpers/harness.js';
import { completedPolls, until } from '../helpers/service-polls.js';
import { useSshd } from '../helpers/use-sshd.js';

// `run` keeps one SSH session across its polls (a poll then costs no connection), and
// connects again when the server dropped it.
const sshd = useSshd();

/** Logins sshd accepted so far (one per SSH session). */
const logins = () =>
  fs.readFileSync(`${sshd.dir}/sshd.log`, 'utf8').match(/Accepted publickey/g)?.length ?? 0;

describe('run’s SSH session', () => {
  it('is one for many polls, and is replaced when the server drops it', async () => {
    const t = setupConfig(sshd, {}, { schedule: { poll: '* * * * * *' } });
    const before = logins();
    const child = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, WEBIO_REPORTS_CONFIG: '' },
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await until(() => completedPolls(t.config.database.path) >= 4, 60_000, 'four polls');
      console.log(
        fs
          .readFileSync(`${sshd.dir}/sshd.log`, 'utf8')
          .split('\n')
          .filter((l) => /Accepted|Disconnected|Connection from|closed/.test(l))
          .join('\n'),
      );
      expect(logins() - before).toBe(1);
      // The server goes away between polls and comes back: the next poll connects again
      // (at once, not after a backoff: the poll does not even fail).
      sshd.stop();
      await sshd.restart();
      dropFile(t.remoteDir, 'after.json', JSON.stringify(messageSend), 60);
      await until(() => listDir(t.processedDir).includes('after.json'), 60_000, 'a later poll');
      expect(logins() - before).toBe(2);
      const db = new Database(t.config.database.path, { readonly: true });
      const failed = (
        db.prepare(`SELECT count(*) AS n FROM runs WHERE kind = 'ingest' AND ok = 0`).get() as {
          n: number;
        }
      ).n;
      db.close();
      expect(failed).toBe(0);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
