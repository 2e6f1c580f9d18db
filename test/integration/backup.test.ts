import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { CLI, PROJECT_ROOT, dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';
import { checkBackupTarget } from '../../src/io/backup-target.js';

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

/** Each store file's inode and content, to see that a refused backup touched none. */
function fingerprint(files: string[]) {
  return files.map((f) => {
    if (!fs.existsSync(f)) return { f, missing: true };
    const st = fs.statSync(f);
    const sha = createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    return { f, dev: st.dev, ino: st.ino, size: st.size, sha };
  });
}

describe('backup cannot hurt', () => {
  it("refuses a target that is, or links to, any of the store's files, and the store keeps every event", async () => {
    const t = setupConfig(sshd);
    const files = generateSampleFiles({ files: 30, nowMs: Date.now() - 3600_000, extras: false });
    for (const f of files) dropFile(t.remoteDir, f.name, f.content);
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const before = counts(t.config.database.path);
    const db = t.config.database.path;
    const own = [db, `${db}-wal`, `${db}-shm`, `${db}.lock`];
    // A connection held open, as the running service holds one: -wal and -shm exist.
    const service = new Database(db);
    try {
      service.prepare('SELECT count(*) FROM sends').get();
      expect(fs.existsSync(`${db}-wal`) && fs.existsSync(`${db}-shm`)).toBe(true);
      const links = path.join(t.local, 'links');
      fs.mkdirSync(links);
      fs.symlinkSync(t.local, path.join(links, 'store-folder'));
      const targets = [...own];
      for (const f of own) {
        const soft = path.join(links, `soft-${path.basename(f)}`);
        fs.symlinkSync(f, soft);
        targets.push(soft);
        const hard = path.join(links, `hard-${path.basename(f)}`);
        fs.linkSync(f, hard);
        targets.push(hard);
        // The same file through a link to its folder.
        targets.push(path.join(links, 'store-folder', path.basename(f)));
      }
      const was = fingerprint(own);
      // Every target is refused by the check backup makes before it writes a byte...
      for (const to of targets)
        expect(() => checkBackupTarget(to, db), to).toThrow("the store's own file");
      // ...and the command says so in one line with exit code 2 (one target of each kind).
      for (const to of [own[1], targets[5], targets[6], targets[7]] as string[]) {
        const r = await runCli(['backup', '--config', t.configFile, '--to', to]);
        expect(r.code, to).toBe(2);
        expect(r.stderr, to).toContain("the store's own file");
        expect(r.stderr.trim().split('\n'), to).toHaveLength(1);
      }
      expect(fingerprint(own)).toEqual(was);
    } finally {
      service.close();
    }
    // The store is whole: the next ingest finds the same store, at the same schema version.
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    expect(counts(db)).toEqual(before);
    const check = new Database(db, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(5);
    check.close();
  });

  it('refuses a target whose folder does not exist, and creates no folder', async () => {
    const t = setupConfig(sshd);
    dropFile(
      t.remoteDir,
      'a.json',
      generateSampleFiles({ files: 1, nowMs: Date.now() - 3600_000, extras: false })[0]!.content,
    );
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const to = path.join(t.local, 'no', 'such', 'folder', 'b.sqlite');
    const r = await runCli(['backup', '--config', t.configFile, '--to', to]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the folder ${path.dirname(to)} does not exist`);
    expect(fs.existsSync(path.join(t.local, 'no'))).toBe(false);
  });

  it('leaves the copy alone in its folder: no temp file, no -wal or -shm, even once the copy is opened', async () => {
    const t = setupConfig(sshd);
    const files = generateSampleFiles({ files: 20, nowMs: Date.now() - 3600_000, extras: false });
    for (const f of files) dropFile(t.remoteDir, f.name, f.content);
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const folder = path.join(t.local, 'backups');
    fs.mkdirSync(folder);
    const to = path.join(folder, 'b.sqlite');
    const r = await runCli(['backup', '--config', t.configFile, '--to', to]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readdirSync(folder)).toEqual(['b.sqlite']);
    expect(counts(to)).toEqual(counts(t.config.database.path));
    expect(fs.readdirSync(folder)).toEqual(['b.sqlite']);
  });
});
