import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { dumpStore } from '../helpers/dump.js';
import { PROJECT_ROOT, dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';
import { StoreLock } from '../../src/io/lock.js';

const CRASH = path.join(PROJECT_ROOT, 'test', 'helpers', 'crash-ingest.mjs');
const files = generateSampleFiles({ files: 300, nowMs: Date.UTC(2026, 0, 10), days: 3, seed: 11 });

const sshd = useSshd();

function seed(dir: string): void {
  for (const f of files) dropFile(dir, f.name, f.content, 3600 + (files.length - files.indexOf(f)));
}

/** What the files hold, read with plain JSON.parse: the keys every run must end up with. */
function expectedKeys(): { sends: string[]; statuses: string[] } {
  const sends = new Set<string>();
  const statuses = new Set<string>();
  for (const f of files) {
    let events: unknown[];
    try {
      const v = JSON.parse(f.content) as unknown;
      events = Array.isArray(v) ? v : [v];
    } catch {
      continue; // NDJSON or broken: no sends or statuses in this corpus
    }
    for (const e of events as {
      type: string;
      communicationActionId: string | number;
      statusCode: string | number;
    }[]) {
      if (e.type === 'messageSend') sends.add(String(e.communicationActionId));
      if (e.type === 'messageStatusUpdate')
        statuses.add(`${e.communicationActionId}|${e.statusCode}`);
    }
  }
  return { sends: [...sends].sort(), statuses: [...statuses].sort() };
}

describe('kill -9 anywhere in a large batch', () => {
  let reference: Record<string, unknown[]>;

  it('a clean run stores every distinct event once (the reference)', async () => {
    const t = setupConfig(sshd);
    seed(t.remoteDir);
    const r = await runCli(['ingest', '--config', t.configFile]);
    expect(r.code).toBe(0);
    reference = dumpStore(t.config.database.path);
    const keys = expectedKeys();
    expect(
      (reference.sends as { communication_action_id: string }[]).map(
        (s) => s.communication_action_id,
      ),
    ).toEqual(keys.sends);
    expect(
      (reference.statuses as { communication_action_id: string; status_code: string }[])
        .map((s) => `${s.communication_action_id}|${s.status_code}`)
        .sort(),
    ).toEqual(keys.statuses);
    expect(reference.quarantine).toEqual([{ name: 'broken-upload.json', reason: 'not-json' }]);
  });

  const points = [
    'list',
    'read:1',
    'read:120',
    'commit-item:1',
    'commit-item:30',
    'commit-item:75',
    'after-commit',
    'rename:1',
    'rename:25',
    'rename:60',
    'rename:140',
  ];
  it.each(points)('killed at %s, the next run recovers to exactly the reference', async (point) => {
    const t = setupConfig(sshd);
    seed(t.remoteDir);
    const crashed = spawnSync(process.execPath, [CRASH, t.configFile, point], {
      encoding: 'utf8',
      env: { ...process.env, BATCH_SIZE: '50' },
    });
    expect(crashed.signal).toBe('SIGKILL');

    const r = await runCli(['ingest', '--config', t.configFile]);
    expect(r.stderr).not.toMatch(/^(error|fatal):/m);
    expect(r.code).toBe(0);
    expect(dumpStore(t.config.database.path)).toEqual(reference);
    // Every file ended in processed/ or error/, none left behind or lost.
    expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
    expect([...listDir(t.processedDir), ...listDir(t.errorDir)].sort()).toEqual(
      files.map((f) => f.name).sort(),
    );
    // The store lock is free again.
    StoreLock.tryAcquire(t.config.database.path).release();
  });
  it.each(['after-commit:1', 'after-commit:3'])(
    'killed between two slices of one round (%s), the next run recovers to exactly the reference',
    async (point) => {
      const t = setupConfig(sshd);
      seed(t.remoteDir);
      // One round of all 300 files, committed in slices of about 100 events.
      const crashed = spawnSync(process.execPath, [CRASH, t.configFile, point], {
        encoding: 'utf8',
        env: { ...process.env, BATCH_SIZE: '1000', SLICE_EVENTS: '100' },
      });
      expect(crashed.signal).toBe('SIGKILL');
      const d = new Database(t.config.database.path, { readonly: true });
      const committed = (d.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n;
      d.close();
      // Some slices made it, not all: the crash really fell between slices.
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(files.length);

      const r = await runCli(['ingest', '--config', t.configFile]);
      expect(r.code).toBe(0);
      expect(dumpStore(t.config.database.path)).toEqual(reference);
      expect([...listDir(t.processedDir), ...listDir(t.errorDir)].sort()).toEqual(
        files.map((f) => f.name).sort(),
      );
    },
  );
});
