import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inboundMessage, json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { dumpStore } from '../helpers/dump.js';
import { dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { passwordUser } from '../helpers/sshd.mjs';
import { useSshd } from '../helpers/use-sshd.js';

// The server refuses operations for real: the tests log in as an unprivileged local user and
// make folders that user may not write to.
const user = passwordUser();
const sshd = useSshd({ passwordUser: user.name });

function setup(sftp: Record<string, unknown> = {}) {
  const t = setupConfig(sshd, { username: user.name, privateKeyPath: undefined, ...sftp });
  fs.mkdirSync(t.processedDir, { mode: 0o777 });
  fs.mkdirSync(t.errorDir, { mode: 0o777 });
  fs.chmodSync(t.processedDir, 0o777);
  fs.chmodSync(t.errorDir, 0o777);
  return t;
}
/** Runs `ingest --json`: exit 1 exactly when a file was stored but could not be finished. */
const ingest = async (configFile: string) => {
  const r = await runCli(['ingest', '--config', configFile, '--json'], {
    SFTP_PASSWORD: user.password,
  });
  // One JSON document on stdout, the failure folded into it.
  const summary = JSON.parse(r.stdout);
  expect(r.code).toBe(summary.finishErrors.length ? 1 : 0);
  if (summary.finishErrors.length) {
    expect(r.stderr).toContain('stored but not finished on the server');
    expect(summary.ok).toBe(false);
    expect(summary.error.code).toBe('FINISH_FAILED');
  }
  return summary;
};

describe('operations the server refuses', () => {
  it('a refused move is recorded and reported, the file is not ingested again, and the rest goes on', async () => {
    const t = setup();
    fs.chmodSync(t.processedDir, 0o755); // owned by root: the login user cannot rename into it
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    dropFile(t.remoteDir, 'bad.json', 'not json', 600);

    const first = await ingest(t.configFile);
    expect(first.newEvents.messageSend).toBe(1);
    expect(first.finishErrors).toEqual([
      { file: 'send.json', error: expect.stringContaining('permission denied') },
    ]);
    // The message names the folder the move was refused into, not only the file.
    expect(first.finishErrors[0].error).toContain(`into ${t.processedDir}`);
    expect(first.quarantined.map((q: { file: string }) => q.file)).toEqual(['bad.json']);
    expect(listDir(t.errorDir)).toEqual(['bad.json']);

    const second = await ingest(t.configFile);
    expect(second.fetched).toBe(0);
    expect(second.alreadyProcessed).toBe(1);
    expect(second.duplicates).toBe(0);
    expect(second.finishErrors).toHaveLength(1);
    const status = JSON.parse(
      (await runCli(['status', '--config', t.configFile, '--json'])).stdout,
    );
    expect(status.unfinishedFiles).toEqual([
      { name: 'send.json', finish: 'failed', error: expect.stringContaining('permission denied') },
    ]);

    fs.chmodSync(t.processedDir, 0o777);
    const third = await ingest(t.configFile);
    expect(third.finished.moved).toBe(1);
    expect(listDir(t.processedDir)).toEqual(['send.json']);
    expect(dumpStore(t.config.database.path).sends).toHaveLength(1);
  });

  it('a refused delete is recorded and retried without re-ingesting', async () => {
    const t = setup({ afterIngest: 'delete' });
    dropFile(t.remoteDir, 'inbound.json', json(inboundMessage));
    fs.chmodSync(t.remoteDir, 0o755); // the login user may read but not unlink
    const first = await ingest(t.configFile);
    expect(first.newEvents.inboundMessage).toBe(1);
    expect(first.finishErrors).toEqual([
      { file: 'inbound.json', error: expect.stringContaining('permission denied') },
    ]);
    const second = await ingest(t.configFile);
    expect([second.fetched, second.duplicates, second.alreadyProcessed]).toEqual([0, 0, 1]);
    fs.chmodSync(t.remoteDir, 0o777);
    const third = await ingest(t.configFile);
    expect(third.finished.deleted).toBe(1);
    expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
  });

  it('a refused error folder keeps the bad file in place, recorded once, while good files flow', async () => {
    const t = setup();
    fs.chmodSync(t.errorDir, 0o755);
    dropFile(t.remoteDir, 'bad.json', '{"type":', 600);
    dropFile(t.remoteDir, 'status.json', json(messageStatusUpdate));
    const first = await ingest(t.configFile);
    expect(first.quarantined.map((q: { file: string }) => q.file)).toEqual(['bad.json']);
    expect(first.finishErrors).toEqual([
      { file: 'bad.json', error: expect.stringContaining('permission denied') },
    ]);
    expect(listDir(t.processedDir)).toEqual(['status.json']);
    const second = await ingest(t.configFile);
    expect(second.quarantined).toEqual([]);
    expect(dumpStore(t.config.database.path).quarantine).toEqual([
      { name: 'bad.json', reason: 'not-json' },
    ]);
  });
});
