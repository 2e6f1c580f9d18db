import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { CLI, PROJECT_ROOT, dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

const counts = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return {
      check: db.pragma('integrity_check', { simple: true }),
      sends: (db.prepare('SELECT count(*) AS n FROM sends').get() as { n: number }).n,
      raw: (db.prepare('SELECT count(*) AS n FROM raw_events').get() as { n: number }).n,
      files: (db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
};

describe('backup', () => {
  it('copies the store consistently while the service is ingesting, and exactly once it is idle', async () => {
    const t = setupConfig(
      sshd,
      { minFileAgeSeconds: 0, maxFilesPerPoll: 200 },
      { schedule: { poll: '*/1 * * * * *', export: '0 0 1 1 *' } },
    );
    const files = generateSampleFiles({ files: 1500, nowMs: Date.now() - 3600_000, extras: false });
    for (const f of files) dropFile(t.remoteDir, f.name, f.content);
    const service = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    try {
      // Back up while polls of 200 files commit every second.
      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        if (fs.existsSync(t.config.database.path) && listDir(t.processedDir).length > 0) break;
      }
      const during = path.join(t.local, 'during.sqlite');
      const b1 = await runCli(['backup', '--config', t.configFile, '--to', during]);
      expect(b1.stderr).toBe('');
      expect(b1.code).toBe(0);
      const mid = counts(during);
      expect(mid.check).toBe('ok');
      expect(mid.files).toBeGreaterThan(0);
      expect(fs.statSync(during).mode & 0o777).toBe(0o600);

      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        if (listDir(t.processedDir).length === files.length) break;
      }
      await new Promise((r) => setTimeout(r, 500));
      const after = path.join(t.local, 'after.sqlite');
      expect((await runCli(['backup', '--config', t.configFile, '--to', after])).code).toBe(0);
      const final = counts(after);
      expect(final.files).toBe(files.length);
      expect(final).toEqual(counts(t.config.database.path));
      expect(mid.files).toBeLessThanOrEqual(final.files);
    } finally {
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
  });
});
