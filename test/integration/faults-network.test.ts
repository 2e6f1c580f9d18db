import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { startEmbeddedSftpServer } from '../../src/demo/embedded-sftp-server.js';
import { dumpStore } from '../helpers/dump.js';
import {
  CLI,
  PROJECT_ROOT,
  dropFile,
  listDir,
  runCli,
  setupConfig,
  tempDir,
} from '../helpers/harness.js';
import { SERVERS, useServer, useSshd } from '../helpers/use-sshd.js';

describe.each(SERVERS)('%s: the server goes away mid-batch', (kind) => {
  const sshd = useServer(kind);

  it('leaves no partial rows, exits with the cause in a few lines, and the next poll resumes', async () => {
    const files = generateSampleFiles({
      files: 6000,
      nowMs: Date.UTC(2026, 0, 10),
      days: 2,
      seed: 5,
      extras: false,
      duplicateRate: 0,
    });
    const t = setupConfig(sshd, { maxFilesPerPoll: 10000, operationTimeoutSeconds: 10 });
    files.forEach((f, i) => dropFile(t.remoteDir, f.name, f.content, 7200 - i / 10));

    const child = spawn(process.execPath, [CLI, 'ingest', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number>((resolve) =>
      child.on('close', (code) => resolve(code ?? -1)),
    );
    // Wait until the first batch is committed and moving, then pull the plug.
    const deadline = Date.now() + 30_000;
    while (listDir(t.processedDir).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    sshd.stop();
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/webio-reports: (ingest stopped early|sftp)/);
    // Thousands of files in flight, one cause: summarised, not a line (or two) per file.
    expect(`${stdout}${stderr}`.trimEnd().split('\n').length).toBeLessThan(30);
    const moved = listDir(t.processedDir).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(files.length);
    // Whatever was committed is whole: every stored event came from a committed file.
    const partial = dumpStore(t.config.database.path);
    const committed = (partial.files as unknown[]).length;
    expect(committed).toBeGreaterThanOrEqual(moved);
    expect(
      (partial.sends as unknown[]).length +
        (partial.inbound as unknown[]).length +
        (partial.statuses as unknown[]).length,
    ).toBe(committed);

    // status counts what the failed poll left on the server, not 0.
    const status = JSON.parse(
      (await runCli(['status', '--config', t.configFile, '--json'])).stdout,
    );
    expect(status.lastPoll.ok).toBe(false);
    // (A rename whose answer was lost with the connection may have happened or not: the
    // count can be off by the moves in flight, at most sftp.concurrency.)
    const onServer = listDir(t.remoteDir).filter((n) => n.endsWith('.json')).length;
    expect(status.filesWaiting).toBeGreaterThan(0);
    expect(Math.abs(status.filesWaiting - onServer)).toBeLessThanOrEqual(256);

    await sshd.restart();
    const again = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(again.code).toBe(0);
    expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
    const processed = listDir(t.processedDir);
    const names = new Set(files.map((f) => f.name));
    // Named on failure: anything in processed/ that is not one of the files dropped.
    expect(processed.filter((n) => !names.has(n))).toEqual([]);
    expect(processed).toHaveLength(files.length);
    const final = dumpStore(t.config.database.path);
    expect(
      (final.sends as unknown[]).length +
        (final.inbound as unknown[]).length +
        (final.statuses as unknown[]).length,
    ).toBe(files.length);
    expect(final.files).toHaveLength(files.length);
  });
});

describe('a server that hangs', () => {
  const sshd = useSshd();

  it('times out a listener that accepts and never speaks SSH, naming the stage', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const t = setupConfig(sshd, { port, connectTimeoutSeconds: 2 });
      const started = Date.now();
      const r = await runCli(['ingest', '--config', t.configFile], {}, 20_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `sftp connect: ${sshd.user}@127.0.0.1:${port}: no SSH handshake within the connect timeout`,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('times out a transfer that stalls, and the next poll against a healthy server finishes the job', async () => {
    const root = tempDir('webio-stall-');
    fs.mkdirSync(path.join(root, 'webhooks'));
    const files = generateSampleFiles({
      files: 40,
      nowMs: Date.UTC(2026, 0, 10),
      seed: 3,
      extras: false,
      duplicateRate: 0,
    });
    files.forEach((f, i) => dropFile(path.join(root, 'webhooks'), f.name, f.content, 3600 - i));
    const stalling = await startEmbeddedSftpServer(root, { stallAfterReads: 5 });
    const local = tempDir();
    const cfg = (server: { port: number; fingerprint: string; password: string }) => {
      const file = path.join(local, 'config.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          sftp: {
            host: '127.0.0.1',
            port: server.port,
            username: 'webio',
            password: server.password,
            hostKeyFingerprint: server.fingerprint,
            remoteDir: '/webhooks',
            operationTimeoutSeconds: 2,
            concurrency: 4,
          },
          database: { path: path.join(local, 'webio.sqlite') },
        }),
        { mode: 0o600 },
      );
      return file;
    };
    try {
      const started = Date.now();
      const r = await runCli(['ingest', '--config', cfg(stalling)], {}, 30_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /sftp read: \/webhooks\/\S+\.json: no answer from the server within 2 s/,
      );
      // Ended by our own timeout: never reported as the server closing the connection.
      expect(r.stderr).not.toContain('closed the connection');
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await stalling.close();
    }
    const healthy = await startEmbeddedSftpServer(root);
    try {
      const r = await runCli(['ingest', '--config', cfg(healthy), '--json'], {}, 30_000);
      expect(r.code).toBe(0);
      expect(listDir(path.join(root, 'webhooks', 'processed'))).toHaveLength(files.length);
      expect(dumpStore(path.join(local, 'webio.sqlite')).files).toHaveLength(files.length);
    } finally {
      await healthy.close();
    }
  });
});
