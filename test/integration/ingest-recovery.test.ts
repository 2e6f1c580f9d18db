import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inboundMessage, json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { PROJECT_ROOT, dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

const CRASH = path.join(PROJECT_ROOT, 'test', 'helpers', 'crash-ingest.mjs');

describe('a crash between commit and move', () => {
  it('mid-rename on a server that renames by link + unlink: the leftover is removed, not kept twice', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    const crashed = spawnSync(process.execPath, [CRASH, t.configFile, 'after-commit'], {
      encoding: 'utf8',
    });
    expect(crashed.signal).toBe('SIGKILL');
    // What OpenSSH's rename (link, then unlink) leaves when the server dies between the two.
    fs.linkSync(path.join(t.remoteDir, 'send.json'), path.join(t.processedDir, 'send.json'));

    const r = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).alreadyProcessed).toBe(1);
    expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
    expect(listDir(t.processedDir)).toEqual(['send.json']);
  });

  it('is harmless: the next run recognises the files, just moves them, and stores nothing twice', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    dropFile(t.remoteDir, 'inbound.json', json(inboundMessage));
    dropFile(t.remoteDir, 'status.json', json(messageStatusUpdate));

    const crashed = spawnSync(process.execPath, [CRASH, t.configFile, 'after-commit'], {
      encoding: 'utf8',
    });
    expect(crashed.signal).toBe('SIGKILL');
    // Committed, but every file is still on the server.
    expect(listDir(t.remoteDir)).toEqual([
      'error',
      'inbound.json',
      'processed',
      'send.json',
      'status.json',
    ]);

    const r = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.alreadyProcessed).toBe(3);
    expect(s.newEvents).toEqual({ messageSend: 0, inboundMessage: 0, messageStatusUpdate: 0 });
    expect(s.duplicates).toBe(0);
    expect(listDir(t.processedDir)).toEqual(['inbound.json', 'send.json', 'status.json']);

    const d = new Database(t.config.database.path, { readonly: true });
    const n = (table: string) =>
      (d.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect([n('sends'), n('inbound'), n('statuses'), n('raw_events'), n('files')]).toEqual([
      1, 1, 1, 3, 3,
    ]);
    expect(d.prepare(`SELECT DISTINCT finish FROM files`).all()).toEqual([{ finish: 'moved' }]);
    d.close();
  });

  it('recognises a committed file by its content even when its timestamp changed', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'send.json', json(messageSend), 120);
    const crashed = spawnSync(process.execPath, [CRASH, t.configFile, 'after-commit'], {
      encoding: 'utf8',
    });
    expect(crashed.signal).toBe('SIGKILL');
    dropFile(t.remoteDir, 'send.json', json(messageSend), 60); // same bytes, new mtime
    const s = JSON.parse((await runCli(['ingest', '--config', t.configFile, '--json'])).stdout);
    expect(s.alreadyProcessed).toBe(1);
    expect(s.fetched).toBe(0);
    expect(listDir(t.processedDir)).toEqual(['send.json']);
  });
});
