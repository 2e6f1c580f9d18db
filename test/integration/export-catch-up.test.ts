import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { messageSend } from '../fixtures/webio.js';
import { fakeClockEnv } from '../helpers/faketime.js';
import { CLI, PROJECT_ROOT, runCli, setupConfig, type TestSetup } from '../helpers/harness.js';
import { ingestEvents } from '../helpers/store.js';
import { useSshd } from '../helpers/use-sshd.js';
import { SqliteStore } from '../../src/io/store/index.js';

const sshd = useSshd();
const running: ChildProcess[] = [];

afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});

async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 50_000;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

/** Starts `run`; resolves its exit code when it ends. */
function startService(t: TestSetup, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, log: () => log };
}

/** A read of the store as the test sees it (the service may hold it open). */
function query<T>(t: TestSetup, sql: string): T | undefined {
  const db = new Database(t.config.database.path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).get() as T | undefined;
  } finally {
    db.close();
  }
}

/** Every file under `dir`, relative. */
function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const send = (id: string, dateCreated: string) => ({
  ...messageSend,
  communicationActionId: id,
  dateCreated,
});

/**
 * A daily export schedule whose last run was 2 to 3 hours ago, whenever the test runs: its
 * export is overdue at once (the grace is 15 minutes). A fixed time such as 03:00 is not
 * overdue during the quarter hour after it.
 */
const overdueExport = `0 ${(new Date().getUTCHours() + 22) % 24} * * *`;

describe('the export catch-up', () => {
  it('exports at start when the box was down over the export time (libfaketime, the next morning)', async () => {
    const port = await freePort();
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0 },
      { schedule: { poll: '* * * * *', export: '15 0 * * *' }, metrics: { port } },
    );
    // The service ran on 19 November 2026: the export due at 00:15 completed, the day's sends
    // came in. The box went down that evening, and is started again at 08:00 on the 20th.
    const store = new SqliteStore({
      path: t.config.database.path,
      busyTimeoutMs: 1000,
      exportTimeZone: 'Europe/London',
    });
    ingestEvents(
      store,
      [send('900001', '2026-11-19 12:00:00.000')],
      'UTC',
      Date.UTC(2026, 10, 19, 13),
    );
    store.recordExportDue(Date.UTC(2026, 10, 19, 0, 15));
    store.completeExportDue(Date.UTC(2026, 10, 19, 0, 15), Date.UTC(2026, 10, 19, 0, 16));
    store.close();

    const service = startService(t, fakeClockEnv('2026-11-20 08:00:00'));
    const csv = path.join(t.config.export.dir, 'sends', 'sends-2026-11-19.csv');
    // Without the catch-up, yesterday's files would wait for 00:15 on the 21st.
    await until('yesterday’s files', async () => fs.readFileSync(csv, 'utf8').includes('900001'));
    // London is on GMT in November: the run it missed was 00:15 UTC on the 20th.
    const due = await until('the due export to be completed', async () => {
      const row = query<{ due_at: number; completed_at: number | null }>(
        t,
        'SELECT due_at, completed_at FROM export_due',
      );
      return row?.completed_at !== null && row;
    });
    expect(due.due_at).toBe(Date.UTC(2026, 10, 20, 0, 15));
    expect(fs.existsSync(path.join(t.config.export.dir, 'manifest.json'))).toBe(true);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited, service.log()).toBe(0);
  });

  it('finishes an export killed with SIGKILL at the next start; status does not call it ok meanwhile', async () => {
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0 },
      { schedule: { poll: '* * * * *', export: overdueExport, timezone: 'UTC' } },
    );
    // 120 changed days, one send each: 600 files, each synced with its folder, some seconds of
    // export to kill in the middle of.
    const store = new SqliteStore({
      path: t.config.database.path,
      busyTimeoutMs: 1000,
      exportTimeZone: 'Europe/London',
    });
    const days: string[] = [];
    for (let i = 0; i < 120; i++)
      days.push(new Date(Date.UTC(2022, 0, 1 + i)).toISOString().slice(0, 10));
    ingestEvents(
      store,
      days.map((d, i) => send(String(700000 + i), `${d} 12:00:00.000`)),
    );
    store.close();

    // The service exports at start what is due (nothing ever recorded an export on this
    // store): killed once that export has written its first files.
    const first = startService(t);
    const sends = path.join(t.config.export.dir, 'sends');
    await until('the export to be under way', async () => {
      const run = query<{ n: number }>(
        t,
        `SELECT count(*) AS n FROM runs WHERE kind = 'export' AND ended_at IS NULL`,
      );
      return (run?.n ?? 0) > 0 && walk(sends).length > 0;
    });
    first.child.kill('SIGKILL');
    await first.exited;
    expect(
      query<{ completed_at: number | null }>(t, 'SELECT completed_at FROM export_due'),
    ).toEqual({ completed_at: null });
    const written = walk(sends).filter((f) => f.endsWith('.csv')).length;
    expect(written).toBeLessThan(days.length);
    // What a kill in the middle of writing a file leaves (it may or may not have left one).
    const leftover = path.join(sends, '.sends-2022-01-01.csv.tmp-0123456789abcdef');
    fs.writeFileSync(leftover, 'communicationActionId,...\n');

    // Meanwhile, status says it is not done (it used to show the last run that ended: "ok").
    const status = await runCli(['status', '--config', t.configFile]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(
      /^last export: NOT DONE: the export due at .* has not completed/m,
    );
    expect(status.stdout).not.toMatch(/^last export: .* ok$/m);

    // The next start finishes it: every day written, no temp file left, the manifest in place.
    const second = startService(t);
    await until('the due export to be completed', async () => {
      const row = query<{ completed_at: number | null }>(t, 'SELECT completed_at FROM export_due');
      return row !== undefined && row.completed_at !== null;
    });
    // Retention follows the export and rewrites manifest.json (through a temp file): the
    // folder is looked at once the service has stopped.
    second.child.kill('SIGTERM');
    expect(await second.exited, second.log()).toBe(0);
    const files = walk(t.config.export.dir);
    expect(files.filter((f) => /\.tmp-[0-9a-f]{16}$/.test(f))).toEqual([]);
    expect(fs.existsSync(leftover)).toBe(false);
    for (const d of days) expect(files).toContain(path.join('sends', `sends-${d}.csv`));
    const manifest = JSON.parse(
      fs.readFileSync(path.join(t.config.export.dir, 'manifest.json'), 'utf8'),
    ) as { files: { report: string; day: string }[] };
    const listed = new Set(manifest.files.filter((f) => f.report === 'sends').map((f) => f.day));
    for (const d of days) expect(listed.has(d), d).toBe(true);
    // The killed run is recorded as interrupted, and status is content again.
    expect(
      query<{ n: number }>(
        t,
        `SELECT count(*) AS n FROM runs WHERE kind = 'export' AND ok = 0 AND error LIKE 'interrupted:%'`,
      )?.n,
    ).toBe(1);
    const after = await runCli(['status', '--config', t.configFile]);
    expect(after.stdout).toMatch(/^last export: \S+ ok$/m);
  });

  it('answers /healthz 503 while the due export cannot be written, across a restart, and 200 once it is', async () => {
    const port = await freePort();
    // export.dir below a regular file: no export can write there.
    const blocker = path.join(setupConfig(sshd).local, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0 },
      {
        schedule: { poll: '* * * * *', export: overdueExport, timezone: 'UTC' },
        metrics: { port },
        export: { dir: path.join(blocker, 'exports'), timezone: 'Europe/London' },
      },
    );
    const healthz = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: r.status, body: (await r.json()) as { reasons: string[] } };
    };
    const overdue = (h: { status: number; body: { reasons: string[] } }) =>
      h.status === 503 && h.body.reasons.some((r) => r.startsWith('export:')) && h;

    const first = startService(t);
    const down = await until('health to report the overdue export', async () =>
      overdue(await healthz()),
    );
    // A kind and the metric to look at; no path, no user@host.
    const reason = down.body.reasons.find((r) => r.startsWith('export:')) ?? '';
    expect(reason).toContain('webio_reports_export_overdue');
    expect(reason).not.toContain(t.local);
    expect(reason).not.toContain('@');
    first.child.kill('SIGTERM');
    expect(await first.exited, first.log()).toBe(0);

    // Restarted, the service knows from the store that the export is still due.
    const second = startService(t);
    const again = await until('the restarted service to answer', async () => healthz());
    expect(overdue(again)).toBeTruthy();
    second.child.kill('SIGTERM');
    expect(await second.exited, second.log()).toBe(0);

    // Fixed and restarted: the catch-up writes the files and health is 200.
    const fixed = {
      ...t.raw,
      export: { dir: path.join(t.local, 'exports'), timezone: 'Europe/London' },
    };
    fs.writeFileSync(t.configFile, JSON.stringify(fixed), { mode: 0o600 });
    const third = startService(t);
    await until('health to be 200', async () => (await healthz()).status === 200);
    expect(fs.existsSync(path.join(t.local, 'exports', 'manifest.json'))).toBe(true);
    third.child.kill('SIGTERM');
    expect(await third.exited, third.log()).toBe(0);
  });

  it('tries a failed export again after the backoff while it runs, not a day later', async () => {
    const port = await freePort();
    const local = setupConfig(sshd).local;
    const blocker = path.join(local, 'exports');
    fs.writeFileSync(blocker, '');
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0 },
      {
        schedule: { poll: '* * * * *', export: overdueExport, timezone: 'UTC' },
        metrics: { port },
        export: { dir: path.join(blocker, 'day'), timezone: 'Europe/London' },
      },
    );
    const healthz = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: r.status, body: (await r.json()) as { reasons: string[] } };
    };
    const service = startService(t);
    await until('the export to fail', async () => {
      const h = await healthz();
      return h.status === 503 && h.body.reasons.some((r) => r.includes('last failure:'));
    });
    // The folder becomes writable; the next try (15 s after the first failure) succeeds.
    fs.rmSync(blocker);
    fs.mkdirSync(blocker);
    await until('health to be 200', async () => (await healthz()).status === 200);
    expect(fs.existsSync(path.join(blocker, 'day', 'manifest.json'))).toBe(true);
    expect(service.log()).toContain('the export stays due: it is tried again after the backoff');
    service.child.kill('SIGTERM');
    expect(await service.exited, service.log()).toBe(0);
  });
});
