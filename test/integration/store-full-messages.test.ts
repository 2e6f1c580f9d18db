import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/io/logger.js';
import { ingestOnce } from '../../src/jobs/index.js';
import { messageSend } from '../fixtures/webio.js';
import { dropFile, listDir, setupConfig } from '../helpers/harness.js';
import { openStore } from '../helpers/inprocess.js';
import { useSshd } from '../helpers/use-sshd.js';

// What a full store disk tells the operator must be what happened to the files: the slice
// being committed is rolled back and stays on the server, but slices committed before it
// are stored and finished; a failure after the last commit loses nothing at all.
const sshd = useSshd();
const full = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
const send = (i: number) => JSON.stringify({ ...messageSend, communicationActionId: String(i) });
const silent = createLogger('fatal', 'stderr');

describe('a store that fills up during a poll', () => {
  it('mid-poll: says how many files were stored and finished before the slice that was rolled back', async () => {
    const t = setupConfig(sshd);
    for (let i = 0; i < 6; i++) dropFile(t.remoteDir, `f${i}.json`, send(i), 600 - i);
    const config = validateConfig(t.raw, {}, t.configFile);
    const store = openStore(t);
    const commit = store.commitBatch.bind(store);
    let calls = 0;
    // Slices of 2 files (sliceEvents 2 via one file = one event); the third commit fails.
    store.commitBatch = (items, now) => {
      if (++calls === 3) throw full();
      return commit(items, now);
    };
    try {
      const err = await ingestOnce(
        { ...config, sftp: { ...config.sftp, concurrency: 1 } },
        store,
        silent,
        undefined,
        { sliceEvents: 2 },
      ).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message).toContain(
        `store ${config.database.path}: database or disk is full (SQLITE_FULL); free disk space: the slice being committed was rolled back and its files stay on the server for the next poll; 4 files committed before it are stored and finished as usual`,
      );
      // And it is true: four files stored and moved, the other two still waiting.
      expect(listDir(t.processedDir)).toEqual(['f0.json', 'f1.json', 'f2.json', 'f3.json']);
      expect(listDir(t.remoteDir).filter((n) => n.endsWith('.json'))).toEqual([
        'f4.json',
        'f5.json',
      ]);
      expect(store.counts().typed.sends).toBe(4);
    } finally {
      store.close();
    }
  });

  it('after the last commit: says the poll completed, and nothing is left on the server', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'a.json', send(1));
    const config = validateConfig(t.raw, {}, t.configFile);
    const store = openStore(t);
    store.endRun = () => {
      throw full();
    };
    try {
      const err = await ingestOnce(config, store, silent).catch((e: unknown) => e as Error);
      expect((err as Error).message).toContain(
        'free disk space: the run itself completed (its events are stored and its files finished); only its entry in the run history is missing',
      );
      expect(listDir(t.processedDir)).toEqual(['a.json']);
      expect(path.basename(config.database.path)).toBe('webio.sqlite');
    } finally {
      store.close();
    }
  });
});
