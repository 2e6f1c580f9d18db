// npm run bench:wan [-- N]: our full ingest (fetch, parse, store, move) and
// `lftp mirror --parallel=4` (download only) of the same N files (default 2,000) from a real
// OpenSSH sshd, through a latency-injecting proxy at round trips of 0, 20, 40 and 80 ms.
// Prints files/s, our ratio to lftp, and our rate as a fraction of our own loopback rate;
// then `run` itself through the same proxy: an idle poll, and a backlog dropped while it runs.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleFiles } from '../dist/bench-entry.js';
import { startSshd } from '../test/helpers/sshd.mjs';
import { ingestInChild } from './ingest-run.mjs';
import { startLatencyProxy } from './latency-proxy.mjs';
import { measureRun } from './run-service.mjs';

const N = Number(process.argv[2] ?? 2_000);
const RTTS = (process.env.RTTS ?? '0,20,40,80').split(',').map(Number);
// The proxy lives in this process: children run asynchronously so its event loop keeps relaying.
const run = promisify(execFile);
const hasLftp = spawnSync('sh', ['-c', 'command -v lftp']).status === 0;

const sshd = await startSshd();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'webio-wan-'));
try {
  const master = path.join(sshd.root, 'master');
  fs.mkdirSync(master);
  const old = new Date(Date.UTC(2026, 0, 10));
  for (const f of generateSampleFiles({
    files: N,
    nowMs: old.getTime(),
    days: 5,
    seed: 1,
    extras: false,
  })) {
    const p = path.join(master, f.name);
    fs.writeFileSync(p, f.content);
    fs.utimesSync(p, old, old);
  }
  const hostPub = fs
    .readFileSync(path.join(sshd.dir, 'host_ed25519_key.pub'), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');

  const rows = [];
  for (const rtt of RTTS) {
    const proxy = rtt > 0 ? await startLatencyProxy(sshd.port, rtt / 2) : undefined;
    const port = proxy?.port ?? sshd.port;
    try {
      // ours: a fresh copy of the folder and a fresh store
      const remote = path.join(sshd.root, `rtt-${rtt}`);
      execFileSync('cp', ['-a', master, remote]);
      const ours = await ingestInChild(sshd, {
        remoteDir: remote,
        local: path.join(work, `ours-${rtt}`),
        port,
        sftp: { maxFilesPerPoll: N },
      });
      if (ours.files !== N || ours.moved !== N)
        throw new Error(`at ${rtt} ms ours fetched ${ours.files} and moved ${ours.moved} of ${N}`);
      fs.rmSync(remote, { recursive: true, force: true });

      let lftp;
      if (hasLftp) {
        const knownHosts = path.join(work, `known_hosts-${rtt}`);
        fs.writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
        const sshConfig = path.join(work, `ssh_config-${rtt}`);
        fs.writeFileSync(
          sshConfig,
          `Host 127.0.0.1\n  Port ${port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n`,
        );
        const dst = path.join(work, `lftp-${rtt}`);
        const t0 = process.hrtime.bigint();
        await run('lftp', [
          '-c',
          `set cmd:interactive false; set xfer:log false; set net:max-retries 2; set sftp:connect-program 'ssh -a -x -F ${sshConfig}'; open -u ${sshd.user}, sftp://127.0.0.1:${port}; mirror --parallel=4 ${master} ${dst}`,
        ]);
        lftp = Number(process.hrtime.bigint() - t0) / 1e9;
        if (fs.readdirSync(dst).length !== N) throw new Error('lftp did not fetch every file');
        fs.rmSync(dst, { recursive: true, force: true });
      }
      rows.push({ rtt, ours: ours.seconds, lftp, rss: ours.rssMB });
      console.error(`RTT ${rtt} ms done`);
    } finally {
      await proxy?.close();
    }
  }

  const loop = rows.find((r) => r.rtt === 0);
  console.log(
    `\ningest of ${N.toLocaleString('en')} files through a latency proxy in front of ${spawnSync('/usr/sbin/sshd', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0]}, ${os.cpus().length} cores`,
  );
  console.log(
    'RTT ms   ours s  ours files/s   lftp s  lftp files/s   ours/lftp   of our loopback   peak RSS',
  );
  for (const r of rows) {
    const f = (s) =>
      Math.round(N / s)
        .toLocaleString('en')
        .padStart(12);
    console.log(
      `${String(r.rtt).padStart(6)} ${r.ours.toFixed(2).padStart(8)} ${f(r.ours)} ${
        r.lftp === undefined
          ? '       -            -'
          : `${r.lftp.toFixed(2).padStart(8)} ${f(r.lftp)}`
      } ${r.lftp === undefined ? '          -' : `${(r.lftp / r.ours).toFixed(1).padStart(10)}×`} ${
        loop ? `${((loop.ours / r.ours) * 100).toFixed(0).padStart(16)} %` : ''
      } ${r.rss.toFixed(0).padStart(7)} MB`,
    );
  }
  if (!hasLftp) console.log('lftp not installed (apt-get install -y lftp): no reference figures');
  console.log('targets at 40 ms: >= 20x lftp, >= 50% of our loopback rate');

  // The service itself: its SSH session is kept across polls, so an idle poll costs a few
  // round trips and a backlog that arrives while it runs costs no connection.
  const files = fs.readdirSync(master).map((n) => [n, fs.readFileSync(path.join(master, n))]);
  const service = [];
  for (const rtt of RTTS) {
    const proxy = rtt > 0 ? await startLatencyProxy(sshd.port, rtt / 2) : undefined;
    try {
      const r = await measureRun(sshd, {
        port: proxy?.port ?? sshd.port,
        local: path.join(work, `run-${rtt}`),
        remoteDir: path.join(sshd.root, `run-${rtt}`),
        files,
      });
      service.push({ rtt, ...r });
      console.error(`run at RTT ${rtt} ms done`);
    } finally {
      await proxy?.close();
    }
  }
  const runLoop = service.find((r) => r.rtt === 0);
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `\nrun (the service, one SSH session kept across polls): idle polls, and the poll that drains ${N.toLocaleString('en')} files dropped while it runs`,
  );
  console.log(
    'RTT ms   idle poll ms   = round trips   backlog s   files/s   of loopback   phases of the backlog poll (s: checks, list, rounds, finishing)',
  );
  for (const r of service) {
    const idle = med(r.idle);
    const p = r.phases ?? {};
    console.log(
      `${String(r.rtt).padStart(6)} ${(idle * 1000).toFixed(0).padStart(14)} ${(r.rtt ? ((idle * 1000) / r.rtt).toFixed(1) : '-').padStart(15)} ${r.backlog.toFixed(2).padStart(11)} ${Math.round(
        N / r.backlog,
      )
        .toLocaleString('en')
        .padStart(
          9,
        )} ${runLoop ? `${((runLoop.backlog / r.backlog) * 100).toFixed(0).padStart(11)} %` : ''}   ${[p.checks, p.list, p.rounds, p.finishing].map((x) => (x ?? 0).toFixed(2)).join(', ')}${r.backlogPolls > 1 ? ` (${r.backlogPolls} polls)` : ''}`,
    );
  }
  console.log(
    'targets at 40 ms: an idle poll <= 6 round trips; the backlog at >= 50% of the loopback rate',
  );
} finally {
  sshd.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
