import { spawn } from 'node:child_process';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fakeClockEnv } from '../helpers/faketime.js';
import { CLI, PROJECT_ROOT, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();
const FIVE_MIN = 5 * 60_000;

/** The start times of the polls `run` recorded, in its own (fake) time. */
function pollStarts(database: string): number[] {
  if (!fs.existsSync(database)) return [];
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare(`SELECT started_at AS t FROM runs WHERE kind = 'ingest' ORDER BY id`).all() as {
        t: number;
      }[]
    ).map((r) => r.t);
  } catch {
    return []; // the store is not created yet
  } finally {
    db.close();
  }
}

describe('the service across the autumn clock change', () => {
  it('polls at every real 5-minute mark through both passes of the repeated hour (libfaketime, 60x)', async () => {
    // 00:47 UTC on 25 October 2026 is 01:47 BST: the first pass through 01:00-01:59, which
    // node-cron 4.6 skipped. The service runs on a clock 60 times faster than real time, so
    // its every-5-minutes schedule fires every 5 real seconds: room for each poll on a busy
    // machine. Its timeouts are raised for the same reason (60 s of its time is 1 real second).
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0, connectTimeoutSeconds: 1200, operationTimeoutSeconds: 3600 },
      {
        schedule: { poll: '*/5 * * * *', export: '0 12 * * *', timezone: 'Europe/London' },
        service: { shutdownTimeoutSeconds: 3600 },
      },
    );
    const until = Date.parse('2026-10-25T01:10:00Z');
    const service = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...fakeClockEnv('2026-10-25 00:47:00', 60) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    service.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => service.once('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 600; i++) {
        if (pollStarts(t.config.database.path).some((s) => s >= until)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      service.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    const starts = pollStarts(t.config.database.path);
    // The first poll runs at start (00:47 and the seconds the process took to start), then one
    // per 5-minute mark to 01:10 UTC, each within its mark's 5 minutes: 01:50, 01:55 BST (the
    // first pass), then 01:00 to 01:10 GMT. node-cron 4.6 went from the start poll straight to
    // 01:50 GMT, an hour later.
    const mark = (ms: number) => Math.floor(ms / FIVE_MIN) * FIVE_MIN;
    const first = mark(starts[0] ?? Infinity);
    expect(first).toBeLessThan(Date.parse('2026-10-25T00:55:00Z'));
    const expected: string[] = [];
    for (let m = first + FIVE_MIN; m <= until; m += FIVE_MIN)
      expected.push(new Date(m).toISOString().slice(11, 16));
    expect(expected).toContain('00:55');
    expect(expected).toContain('01:00');
    expect(starts.slice(1).map((s) => new Date(mark(s)).toISOString().slice(11, 16))).toEqual(
      expected,
    );
  }, 150_000);
});
