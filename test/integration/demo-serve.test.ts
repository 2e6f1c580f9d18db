import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, PROJECT_ROOT, runCli, tempDir } from '../helpers/harness.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

describe('demo --serve', () => {
  it('keeps a server up with new files coming, writes a working pinned config, and stops on Ctrl-C', async () => {
    const dir = path.join(tempDir('webio-serve-'), 'demo');
    const metricsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        CLI,
        'demo',
        '--serve',
        '--dir',
        dir,
        '--every',
        '1',
        '--metrics-port',
        String(metricsPort),
        '--json',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const info = await new Promise<{ config: string; webhooks: string; run: string }>(
        (resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000);
          child.stdout.on('data', () => {
            const line = out.split('\n')[0];
            if (line && out.includes('\n')) {
              clearTimeout(timer);
              resolve(JSON.parse(line));
            }
          });
        },
      );
      expect(fs.statSync(info.config).mode & 0o777).toBe(0o600);
      const config = JSON.parse(fs.readFileSync(info.config, 'utf8'));
      expect(config.sftp.hostKeyFingerprint).toMatch(/^SHA256:/);
      expect(config.metrics.port).toBe(metricsPort);
      expect(info.run).toBe(`npx webio-reports run --config ${info.config}`);

      const first = await runCli(['ingest', '--config', info.config, '--json']);
      expect(first.code).toBe(0);
      const s1 = JSON.parse(first.stdout);
      expect(s1.newEvents.messageSend, first.stdout).toBeGreaterThan(0);
      // New files keep arriving: a later poll finds new events, never conflicts.
      await new Promise((r) => setTimeout(r, 2500));
      const later = await runCli(['ingest', '--config', info.config, '--json']);
      expect(later.code).toBe(0);
      const s2 = JSON.parse(later.stdout);
      expect(s2.fetched).toBeGreaterThan(0);
      expect(s2.conflicts).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
