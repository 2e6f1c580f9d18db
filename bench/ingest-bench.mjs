// npm run bench [-- N]: full ingest of N Webio files (default 20,000) from a real OpenSSH
// sshd on loopback, side by side with `lftp mirror --parallel=4` and
// `rclone copy --transfers 4` of the same files (download only), interleaved over ROUNDS
// rounds (default 3); then the same ingest from ProFTPD's mod_sftp; prints medians and
// ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSampleFiles } from '../dist/bench-entry.js';
import { startProftpd } from '../test/helpers/proftpd.mjs';
import { startSshd } from '../test/helpers/sshd.mjs';
import { ingestInChild } from './ingest-run.mjs';

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const sshd = await startSshd();
const work = fs.mkdtempSync(
  path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'webio-bench-'),
);
try {
  const master = path.join(sshd.root, 'master');
  fs.mkdirSync(master);
  const files = generateSampleFiles({
    files: N,
    nowMs: Date.UTC(2026, 0, 10),
    days: 5,
    seed: 1,
    extras: false,
    duplicateRate: 0.05,
  });
  const old = new Date(Date.UTC(2026, 0, 10));
  let bytes = 0;
  for (const f of files) {
    const p = path.join(master, f.name);
    fs.writeFileSync(p, f.content);
    fs.utimesSync(p, old, old);
    bytes += Buffer.byteLength(f.content);
  }
  const hostPub = fs
    .readFileSync(path.join(sshd.dir, 'host_ed25519_key.pub'), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  const knownHosts = path.join(sshd.dir, 'known_hosts');
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${hostPub}\n`);
  const sshConfig = path.join(sshd.dir, 'ssh_config');
  fs.writeFileSync(
    sshConfig,
    `Host 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n`,
  );

  const results = { ours: [], lftp: [], rclone: [] };
  let rss = 0;
  let events = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // ours: a fresh copy of the folder and a fresh database each round
    const remote = path.join(sshd.root, `round-${r}`);
    execFileSync('cp', ['-a', master, remote]);
    const res = await ingestInChild(sshd, {
      remoteDir: remote,
      local: path.join(work, `ours-${r}`),
      sftp: { maxFilesPerPoll: N },
    });
    if (res.files !== N || res.moved !== N)
      throw new Error(`ours fetched ${res.files} and moved ${res.moved} of ${N}`);
    results.ours.push(res.seconds);
    rss = Math.max(rss, res.rssMB);
    events = res.events;
    fs.rmSync(remote, { recursive: true, force: true });

    if (has('lftp')) {
      const dst = path.join(work, `lftp-${r}`);
      const t0 = process.hrtime.bigint();
      execFileSync('lftp', [
        '-c',
        `set cmd:interactive false; set xfer:log false; set net:max-retries 2; set sftp:connect-program 'ssh -a -x -F ${sshConfig}'; open -u ${sshd.user}, sftp://127.0.0.1:${sshd.port}; mirror --parallel=4 ${master} ${dst}`,
      ]);
      results.lftp.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (fs.readdirSync(dst).length !== N) throw new Error('lftp did not fetch every file');
    }
    if (has('rclone')) {
      const dst = path.join(work, `rclone-${r}`);
      const none = path.join(work, 'rclone-none.conf');
      fs.writeFileSync(none, '');
      const t0 = process.hrtime.bigint();
      execFileSync('rclone', [
        'copy',
        `:sftp:${master}`,
        dst,
        '--config',
        none,
        '--sftp-host',
        '127.0.0.1',
        '--sftp-port',
        String(sshd.port),
        '--sftp-user',
        sshd.user,
        '--sftp-key-file',
        sshd.clientKey,
        '--sftp-known-hosts-file',
        knownHosts,
        '--sftp-disable-hashcheck',
        '--sftp-shell-type',
        'none',
        '--transfers',
        '4',
        '--checkers',
        '4',
        '-q',
      ]);
      results.rclone.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (fs.readdirSync(dst).length !== N) throw new Error('rclone did not fetch every file');
    }
    fs.rmSync(path.join(work, `lftp-${r}`), { recursive: true, force: true });
    fs.rmSync(path.join(work, `rclone-${r}`), { recursive: true, force: true });
  }

  const ours = median(results.ours);
  console.log(
    `\ningest of ${N.toLocaleString('en')} files (${(bytes / 1e6).toFixed(1)} MB, ${events.toLocaleString('en')} events), loopback ${spawnSync('/usr/sbin/sshd', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0]}, ${os.cpus().length} cores, median of ${ROUNDS} rounds`,
  );
  console.log('tool                              seconds    files/s   events/s   peak RSS');
  console.log(
    `webio-reports ingest (full)       ${ours.toFixed(3).padStart(7)} ${Math.round(N / ours)
      .toLocaleString('en')
      .padStart(10)} ${Math.round(events / ours)
      .toLocaleString('en')
      .padStart(10)}   ${rss.toFixed(0)} MB`,
  );
  for (const [tool, label] of [
    ['lftp', 'lftp mirror --parallel=4'],
    ['rclone', 'rclone copy --transfers 4'],
  ]) {
    if (!results[tool].length) {
      console.log(`${label.padEnd(33)} not installed (apt-get install -y ${tool})`);
      continue;
    }
    const t = median(results[tool]);
    console.log(
      `${label.padEnd(33)} ${t.toFixed(3).padStart(7)} ${Math.round(N / t)
        .toLocaleString('en')
        .padStart(10)}          -   (download only)`,
    );
  }
  for (const tool of ['lftp', 'rclone']) {
    if (results[tool].length)
      console.log(`ratio ours/${tool} (files/s): ${(median(results[tool]) / ours).toFixed(2)}`);
  }
  console.log(
    `targets: >= 2x lftp; >= 6,000 files/s (60% of a bare ssh2 read loop's ~10,000); peak RSS <= 256 MB`,
  );

  // The same files from a second real server: ProFTPD's mod_sftp (25 names per READDIR,
  // renames refused onto a taken name with status 11, its own limits).
  if (fs.existsSync('/usr/sbin/proftpd')) {
    const proftpd = await startProftpd();
    try {
      const pm = path.join(proftpd.root, 'master');
      execFileSync('cp', ['-a', master, pm]);
      const times = [];
      for (let r = 0; r < ROUNDS; r++) {
        const remote = path.join(proftpd.root, `round-${r}`);
        execFileSync('cp', ['-a', pm, remote]);
        const res = await ingestInChild(proftpd, {
          remoteDir: remote,
          local: path.join(work, `proftpd-${r}`),
          sftp: { maxFilesPerPoll: N },
        });
        if (res.files !== N || res.moved !== N)
          throw new Error(`ProFTPD: fetched ${res.files} and moved ${res.moved} of ${N}`);
        times.push(res.seconds);
        fs.rmSync(remote, { recursive: true, force: true });
      }
      const t = median(times);
      console.log(
        `webio-reports ingest from ProFTPD ${t.toFixed(3).padStart(7)} ${Math.round(N / t)
          .toLocaleString('en')
          .padStart(10)} ${Math.round(events / t)
          .toLocaleString('en')
          .padStart(
            10,
          )}   (${spawnSync('/usr/sbin/proftpd', ['-v'], { encoding: 'utf8' }).stdout.trim()} mod_sftp; ${(t / ours).toFixed(2)}x the OpenSSH time)`,
      );
    } finally {
      proftpd.stop();
    }
  } else console.log('ProFTPD not installed (apt-get install -y proftpd-core proftpd-mod-crypto)');

  // Packed files: as many small events as the default limits allow (1 MiB, 10,000 events per
  // file), the case where memory follows events, not files.
  const PACKED = Number(process.env.PACKED_FILES ?? 100);
  const packed = path.join(sshd.root, 'packed');
  fs.mkdirSync(packed);
  let packedBytes = 0;
  for (let f = 0; f < PACKED; f++) {
    const events = [];
    for (let e = 0; e < 10_000; e++) {
      // about 100 bytes each: 10,000 of them just under 1 MiB
      events.push({
        type: 'typing',
        conversationId: `${f}-${e}`,
        dateCreated: '2026-01-09 10:00:00',
      });
    }
    const content = JSON.stringify(events);
    if (content.length > 1_048_576) throw new Error('a packed file is over 1 MiB');
    const p = path.join(packed, `packed-${String(f).padStart(4, '0')}.json`);
    fs.writeFileSync(p, content);
    fs.utimesSync(p, old, old);
    packedBytes += content.length;
  }
  // With the node flag ecosystem.config.js gives the service (a smaller young generation).
  const pk = await ingestInChild(sshd, {
    remoteDir: packed,
    local: path.join(work, 'packed'),
    nodeArgs: ['--max-semi-space-size=4'],
  });
  if (pk.files !== PACKED || pk.events !== PACKED * 10_000)
    throw new Error(`packed: ${pk.files} files, ${pk.events} events`);
  console.log(
    `\npacked files: ${PACKED} files of 10,000 events (${(packedBytes / 1e6).toFixed(1)} MB, ${(PACKED * 10_000).toLocaleString('en')} events): ${pk.seconds.toFixed(2)} s, ${Math.round(pk.events / pk.seconds).toLocaleString('en')} events/s, peak RSS ${pk.rssMB.toFixed(0)} MB with node --max-semi-space-size=4 as under pm2 (target <= 256 MB)`,
  );

  // A folder of many entries (an outage's backlog, or a folder nobody cleans) with
  // maxFilesPerPoll 1: the listing is streamed, so memory does not follow the entry count.
  const MANY = Number(process.env.MANY_ENTRIES ?? 200_000);
  const many = path.join(sshd.root, 'many');
  fs.mkdirSync(many);
  const tiny = JSON.stringify({
    type: 'typing',
    conversationId: '1',
    dateCreated: '2026-01-09 10:00:00',
  });
  for (let i = 0; i < MANY; i++)
    fs.writeFileSync(path.join(many, `f-${String(i).padStart(7, '0')}.json`), tiny);
  const mn = await ingestInChild(sshd, {
    remoteDir: many,
    local: path.join(work, 'many'),
    sftp: { maxFilesPerPoll: 1, minFileAgeSeconds: 0 },
  });
  console.log(
    `a folder of ${MANY.toLocaleString('en')} entries, maxFilesPerPoll 1: listed and polled in ${mn.seconds.toFixed(2)} s, peak RSS ${mn.rssMB.toFixed(0)} MB (flat: 1,000,000 entries measured 113 MB)`,
  );
  fs.rmSync(many, { recursive: true, force: true });
} finally {
  sshd.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
