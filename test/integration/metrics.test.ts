import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  inboundMessage,
  json,
  messageSend,
  messageStatusUpdate,
  payment,
} from '../fixtures/webio.js';
import { CLI, PROJECT_ROOT, dropFile, listDir, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `name{labels} value` lines of the Prometheus text format, by name and labels. */
const parseMetrics = (text: string) =>
  new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const i = l.lastIndexOf(' ');
        return [l.slice(0, i), Number(l.slice(i + 1))] as const;
      }),
  );

describe('metrics and health', () => {
  it('serves counts equal to the store, and health that turns 503 when the server goes away and 200 when it is back', async () => {
    const port = await freePort();
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0, connectTimeoutSeconds: 2 },
      {
        schedule: { poll: '*/1 * * * * *', export: '0 0 1 1 *', maxBackoffSeconds: 1 },
        metrics: { port },
      },
    );
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    dropFile(t.remoteDir, 'inbound.json', json(inboundMessage));
    dropFile(t.remoteDir, 'status.json', json(messageStatusUpdate));
    dropFile(t.remoteDir, 'payment.json', json(payment));
    dropFile(t.remoteDir, 'broken.json', '{', 600);
    const base = `http://127.0.0.1:${port}`;
    const service = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    try {
      await until('files to be processed', async () => listDir(t.processedDir).length === 4);
      const m = await until('a scrape after the poll', async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const parsed = parseMetrics(text);
        return (parsed.get('webio_reports_files_total{outcome="ingested"}') ?? 0) === 4 && parsed;
      });
      const db = new Database(t.config.database.path, { readonly: true });
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      const stored = {
        messageSend: n('SELECT count(*) AS n FROM sends'),
        inboundMessage: n('SELECT count(*) AS n FROM inbound'),
        messageStatusUpdate: n('SELECT count(*) AS n FROM statuses'),
        other: n(`SELECT count(*) AS n FROM raw_events WHERE outcome = 'other'`),
        quarantined: n('SELECT count(*) AS n FROM quarantine'),
      };
      db.close();
      expect(stored).toEqual({
        messageSend: 1,
        inboundMessage: 1,
        messageStatusUpdate: 1,
        other: 1,
        quarantined: 1,
      });
      for (const type of ['messageSend', 'inboundMessage', 'messageStatusUpdate', 'other'] as const)
        expect(m.get(`webio_reports_events_total{type="${type}"}`), type).toBe(stored[type]);
      expect(m.get('webio_reports_files_total{outcome="quarantined"}')).toBe(stored.quarantined);
      expect(m.get('webio_reports_duplicates_total')).toBe(0);
      expect(m.get('webio_reports_backlog_files')).toBe(0);
      expect(m.get('webio_reports_last_success_timestamp_seconds{job="poll"}')).toBeGreaterThan(
        Date.now() / 1000 - 60,
      );
      expect(m.has('process_cpu_seconds_total')).toBe(true);
      expect(m.get('webio_reports_job_duration_seconds_count{job="poll"}')).toBeGreaterThan(0);

      // A fresh store owes the schedule's last export (1 January): the service exports it
      // after its first poll, and is healthy once that is done.
      const ok = await until('health to be 200', async () => {
        const r = await fetch(`${base}/healthz`);
        return r.status === 200 && r;
      });
      expect(await ok.json()).toMatchObject({ status: 'ok', reasons: [], exportOverdue: false });
      const after = parseMetrics(await (await fetch(`${base}/metrics`)).text());
      expect(after.get('webio_reports_export_overdue')).toBe(0);

      sshd.stop();
      const down = await until('health to turn 503', async () => {
        const r = await fetch(`${base}/healthz`);
        return r.status === 503 && ((await r.json()) as { reasons: string[] });
      });
      expect(down.reasons[0]).toContain('more than three poll intervals');
      // The kind of failure and the metric to look at; never the server's user@host or a path.
      expect(down.reasons[0]).toMatch(
        /; last failure: sftp-[a-z]+; see webio_reports_last_success/,
      );
      expect(down.reasons[0]).not.toContain(`${sshd.user}@`);
      expect(down.reasons[0]).not.toContain(t.remoteDir);
      expect(down.reasons[0]).not.toContain('127.0.0.1');
      const failed = parseMetrics(await (await fetch(`${base}/metrics`)).text());
      expect(
        [...failed].some(
          ([k, v]) =>
            k.startsWith('webio_reports_job_failures_total{job="poll",kind="sftp-') && v > 0,
        ),
      ).toBe(true);

      await sshd.restart();
      await until('health to be 200 again', async () => (await fetch(`${base}/healthz`)).ok);
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    } finally {
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
    expect(fs.existsSync(t.config.database.path)).toBe(true);
  });

  it('keeps polling and answering /healthz with 1,100 half-open connections held under a 256-descriptor limit', async () => {
    const port = await freePort();
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0 },
      { schedule: { poll: '*/1 * * * * *', export: '0 0 1 1 *' }, metrics: { port } },
    );
    const base = `http://127.0.0.1:${port}`;
    // The service under a file limit of 256, as the shell sets it and then becomes node.
    const service = spawn(
      '/bin/sh',
      [
        '-c',
        'ulimit -n 256 && exec "$0" "$@"',
        process.execPath,
        CLI,
        'run',
        '--config',
        t.configFile,
      ],
      { cwd: PROJECT_ROOT, stdio: 'ignore' },
    );
    const sockets: net.Socket[] = [];
    try {
      await until('the service to be healthy', async () => (await fetch(`${base}/healthz`)).ok);
      expect(fs.readFileSync(`/proc/${service.pid}/limits`, 'utf8')).toMatch(
        /^Max open files\s+256\s+256\s+files/m,
      );
      // 1,100 connections that never finish a request: half silent, half stuck in the headers.
      await Promise.all(
        Array.from(
          { length: 1100 },
          (_, i) =>
            new Promise<void>((resolve) => {
              const s = net.connect(port, '127.0.0.1', () => {
                if (i % 2) s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
                resolve();
              });
              s.on('error', () => resolve());
              sockets.push(s);
            }),
        ),
      );
      // Every one of them held open from this side; the service closed all but a few.
      const fds = fs.readdirSync(`/proc/${service.pid}/fd`).length;
      expect(fds).toBeLessThan(256);
      // Polls go on: new files are ingested while the connections are held.
      dropFile(t.remoteDir, 'send.json', json(messageSend));
      dropFile(t.remoteDir, 'inbound.json', json(inboundMessage));
      await until('files to be processed', async () => listDir(t.processedDir).length === 2);
      // And /healthz answers: a newcomer closes the longest-idle connection, not itself.
      const h = await until('/healthz to answer', async () => {
        const r = await fetch(`${base}/healthz`);
        return r.status === 200 && ((await r.json()) as { status: string });
      });
      expect(h.status).toBe('ok');
      expect(fs.readdirSync(`/proc/${service.pid}/fd`).length).toBeLessThan(256);
    } finally {
      for (const s of sockets) s.destroy();
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
  });
});
