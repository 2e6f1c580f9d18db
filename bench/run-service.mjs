// Measures `run` itself (the service, with its kept SSH session) against an SFTP server
// reached on `port` (a latency proxy's, for the WAN bench): the time of an idle poll, and of
// the poll that drains a backlog of files dropped while it runs, with that poll's phases.
// Figures come from the store's run history, as the service recorded them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', 'dist', 'cli.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Completed polls in the store so far, oldest first: { seconds, fetched, phases }. */
function polls(dbPath) {
  if (!fs.existsSync(dbPath)) return [];
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare(
          `SELECT started_at, ended_at, summary FROM runs WHERE kind = 'ingest' AND ok = 1 ORDER BY id`,
        )
        .all()
        .map((r) => {
          const s = JSON.parse(r.summary);
          return {
            seconds: (r.ended_at - r.started_at) / 1000,
            fetched: s.fetched,
            phases: s.phases,
          };
        });
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
}

async function until(ok, ms, what) {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts `run` on an empty `remoteDir`, waits for `idle` idle polls after the first (which
 * connects), then drops `files` (name → content, aged past minFileAgeSeconds) and waits for
 * the poll that takes them. Resolves with the idle polls' seconds and that poll's.
 */
export async function measureRun(sshd, { port, local, remoteDir, files, idle = 3 }) {
  fs.mkdirSync(local, { recursive: true });
  fs.mkdirSync(remoteDir, { recursive: true });
  const dbPath = path.join(local, 'webio.sqlite');
  const config = path.join(local, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      sftp: {
        host: '127.0.0.1',
        port,
        username: sshd.user,
        privateKeyPath: sshd.clientKey,
        hostKeyFingerprint: sshd.fingerprint,
        remoteDir,
        maxFilesPerPoll: files.length + 10,
      },
      database: { path: dbPath },
      export: { dir: path.join(local, 'exports') },
      // A poll every 3 s: room for a backlog poll; no export or retention on the way.
      schedule: { poll: '*/3 * * * * *', export: '0 0 1 1 *' },
      retention: { processedDays: null },
    }),
    { mode: 0o600 },
  );
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WEBIO_REPORTS_CONFIG: '' },
  });
  try {
    await until(() => polls(dbPath).length >= 1 + idle, 120_000, 'the idle polls');
    const idlePolls = polls(dbPath).slice(1, 1 + idle);
    // Right after a poll, so that the next one finds the whole backlog.
    const seen = polls(dbPath).length;
    await until(() => polls(dbPath).length > seen, 30_000, 'the next poll');
    const old = new Date(Date.now() - 60_000);
    for (const [name, content] of files) {
      const p = path.join(remoteDir, name);
      fs.writeFileSync(p, content);
      fs.utimesSync(p, old, old);
    }
    await until(
      () => polls(dbPath).reduce((n, p) => n + p.fetched, 0) >= files.length,
      300_000,
      'the backlog',
    );
    const taking = polls(dbPath).filter((p) => p.fetched > 0);
    return {
      idle: idlePolls.map((p) => p.seconds),
      // The backlog is taken by one poll, unless a poll began while the files were dropped.
      backlog: taking.reduce((s, p) => s + p.seconds, 0),
      backlogPolls: taking.length,
      phases: taking[taking.length - 1]?.phases,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
