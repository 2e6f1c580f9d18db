import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startEmbeddedSftpServer } from '../../src/demo/embedded-sftp-server.js';
import { SftpSource } from '../../src/io/sftp/index.js';
import { runIngest } from '../../src/pipeline/ingest/index.js';
import { messageSend } from '../fixtures/webio.js';
import { dropFile, listDir, setupConfig, tempDir } from '../helpers/harness.js';
import { ingestInProcess, openStore } from '../helpers/inprocess.js';
import { memoryLog } from '../helpers/log-sink.js';
import { startProftpd } from '../helpers/proftpd.mjs';
import { startSshd, type Sshd } from '../helpers/sshd.mjs';

// A server that keeps only so many files open at once must cost speed, never the poll:
// 2,000 files drain in one poll, with the default sftp.concurrency of 256 in flight.
const FILES = 2000;
const send = (i: number) => JSON.stringify({ ...messageSend, communicationActionId: String(i) });

function fill(dir: string): void {
  for (let i = 0; i < FILES; i++) dropFile(dir, `f${String(i).padStart(4, '0')}.json`, send(i));
}

describe('a server that limits the files open at once', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    // sshd and its sessions may hold 48 descriptors: about 40 files at once.
    sshd = await startSshd({ fileLimit: 48 });
  });
  afterAll(() => sshd.stop());

  it('OpenSSH under a low file limit: 2,000 files in one poll, none failed', async () => {
    const t = setupConfig(sshd);
    fill(t.remoteDir);
    const s = await ingestInProcess(t);
    expect(s.stoppedEarly).toBeUndefined();
    expect(s.fetchErrors).toEqual([]);
    expect(s.fetched).toBe(FILES);
    expect(listDir(t.processedDir)).toHaveLength(FILES);
  });

  it('ProFTPD with RLimitOpenFiles 64: 2,000 files in one poll, files in flight lowered once, said once', async () => {
    const proftpd = await startProftpd({ openFiles: 64 });
    try {
      const t = setupConfig(proftpd);
      fill(t.remoteDir);
      const log = memoryLog();
      const s = await ingestInProcess(t, {}, { log });
      expect(s.stoppedEarly).toBeUndefined();
      expect(s.fetchErrors).toEqual([]);
      expect(s.fetched).toBe(FILES);
      expect(listDir(t.processedDir)).toHaveLength(FILES);
      expect(
        log.messages('warn').filter((w) => /refused to open more than \d+ file/.test(w)),
      ).toHaveLength(1);
    } finally {
      proftpd.stop();
    }
  });

  it('a server that refuses opens beyond 40 (SFTP failure): files in flight drop to 40, the poll goes on', async () => {
    const root = tempDir('webio-limit-');
    fs.mkdirSync(path.join(root, 'webhooks'));
    fill(path.join(root, 'webhooks'));
    const server = await startEmbeddedSftpServer(root, { maxOpenFiles: 40 });
    const local = tempDir();
    const config = validateConfig(
      {
        sftp: {
          host: server.host,
          port: server.port,
          username: server.username,
          password: server.password,
          hostKeyFingerprint: server.fingerprint,
          remoteDir: '/webhooks',
        },
        database: { path: path.join(local, 'webio.sqlite') },
      },
      {},
      'test',
    );
    const log = memoryLog();
    const source = await SftpSource.connect(config.sftp, log);
    const store = openStore({ config } as Parameters<typeof openStore>[0]);
    try {
      const s = await runIngest(
        { source, store, log, clock: Date.now },
        { ...config.sftp, sourceTimeZone: 'UTC' },
      );
      expect(s.stoppedEarly).toBeUndefined();
      expect(s.fetchErrors).toEqual([]);
      expect(s.fetched).toBe(FILES);
      expect(source.openLimit).toBe(40);
      expect(
        log.messages('warn').filter((w) => /refused to open more than 40 file/.test(w)),
      ).toHaveLength(1);
      expect(store.counts().typed.sends).toBe(FILES);
    } finally {
      store.close();
      await source.close();
      await server.close();
    }
  });

  it('a file the server will not open while others are open is that file’s error, naming the likely cause', async () => {
    const root = tempDir('webio-limit-');
    fs.mkdirSync(path.join(root, 'webhooks'));
    for (let i = 0; i < 50; i++) dropFile(path.join(root, 'webhooks'), `f${i}.json`, send(i));
    const server = await startEmbeddedSftpServer(root, {
      failOpen: (p) => p.endsWith('/f7.json'),
    });
    const local = tempDir();
    const config = validateConfig(
      {
        sftp: {
          host: server.host,
          port: server.port,
          username: server.username,
          password: server.password,
          hostKeyFingerprint: server.fingerprint,
          remoteDir: '/webhooks',
        },
        database: { path: path.join(local, 'webio.sqlite') },
      },
      {},
      'test',
    );
    const source = await SftpSource.connect(config.sftp);
    const store = openStore({ config } as Parameters<typeof openStore>[0]);
    try {
      const s = await runIngest(
        { source, store, log: memoryLog(), clock: Date.now },
        { ...config.sftp, sourceTimeZone: 'UTC' },
      );
      expect(s.stoppedEarly).toBeUndefined();
      expect(s.fetched).toBe(49);
      expect(s.fetchErrors.map((e) => e.file)).toEqual(['f7.json']);
      // Refused with others open (maybe a limit: lower sftp.concurrency), or refused alone
      // (not a limit: the server's log says why); either way the message says which.
      expect(s.fetchErrors[0]?.error).toMatch(
        /refused to open it \(SFTP failure\) (\d+ times while \d+ other file\(s\) were open; it may limit the files a session keeps open|with no other file open, so not for a limit)/,
      );
      expect(listDir(path.join(root, 'webhooks'))).toContain('f7.json');
    } finally {
      store.close();
      await source.close();
      await server.close();
    }
  });
});
