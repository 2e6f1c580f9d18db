import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  inboundMessage,
  json,
  messageSend,
  messageStatusUpdate,
  payment,
} from '../fixtures/webio.js';
import { dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { keygen, passwordUser, startSshd } from '../helpers/sshd.mjs';
import { SERVERS, useServer, useSshd } from '../helpers/use-sshd.js';

function db(file: string): Database.Database {
  return new Database(file, { readonly: true });
}
const count = (d: Database.Database, sql: string, ...args: unknown[]): number =>
  (d.prepare(sql).get(...args) as { n: number }).n;

describe.each(SERVERS)('ingest against a real %s server', (kind) => {
  const sshd = useServer(kind);

  describe('the protocol', () => {
    it('stores the three payloads of the change notice and moves their files to processed/', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'send.json', json(messageSend));
      dropFile(t.remoteDir, 'inbound.json', json(inboundMessage));
      dropFile(t.remoteDir, 'status.json', json(messageStatusUpdate));
      dropFile(t.remoteDir, 'payment.json', json(payment));

      const r = await runCli(['ingest', '--config', t.configFile, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.newEvents).toEqual({
        messageSend: 1,
        inboundMessage: 1,
        messageStatusUpdate: 1,
      });
      expect(summary.otherEvents).toBe(1);
      expect(summary.quarantined).toEqual([]);
      expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
      expect(listDir(t.processedDir)).toEqual([
        'inbound.json',
        'payment.json',
        'send.json',
        'status.json',
      ]);

      const d = db(t.config.database.path);
      const send = d.prepare('SELECT * FROM sends').get() as Record<string, unknown>;
      expect(send).toMatchObject({
        communication_action_id: '220860',
        conversation_id: '97226',
        body: messageSend.body,
        status_code: '1',
        date_created: '2021-01-28 12:22:15.397',
        date_ms: Date.UTC(2021, 0, 28, 12, 22, 15, 397),
      });
      expect(d.prepare('SELECT communication_action_id, status_code FROM statuses').all()).toEqual([
        { communication_action_id: '220860', status_code: '2' },
      ]);
      expect(count(d, 'SELECT count(*) AS n FROM inbound')).toBe(1);
      expect(count(d, `SELECT count(*) AS n FROM raw_events WHERE type = 'payment'`)).toBe(1);
      expect(count(d, `SELECT count(*) AS n FROM files WHERE finish = 'moved'`)).toBe(4);
      d.close();
    });

    it('counts exact repeats as duplicates and keeps the first of conflicting sends', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', json(messageSend), 90);
      dropFile(t.remoteDir, 'b.json', JSON.stringify(messageSend), 80); // same payload, other whitespace
      dropFile(t.remoteDir, 'c.json', json({ ...messageSend, body: 'edited later' }), 70);
      dropFile(t.remoteDir, 'd.json', json({ ...messageSend, communicationActionId: 220860 }), 60); // number id

      const r = await runCli(['ingest', '--config', t.configFile, '--json']);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.newEvents.messageSend).toBe(1);
      expect(s.duplicates).toBe(2);
      expect(s.conflicts).toBe(1);

      const d = db(t.config.database.path);
      expect(d.prepare('SELECT body, conflicts FROM sends').all()).toEqual([
        { body: messageSend.body, conflicts: 1 },
      ]);
      // The conflicting payload is kept in the ledger, never dropped.
      expect(
        d
          .prepare(`SELECT outcome FROM raw_events ORDER BY id`)
          .all()
          .map((x) => (x as { outcome: string }).outcome),
      ).toEqual(['new', 'conflict', 'duplicate']);
      d.close();

      // A second delivery of the same content is a duplicate across runs too.
      dropFile(t.remoteDir, 'e.json', json(messageSend));
      const again = JSON.parse(
        (await runCli(['ingest', '--config', t.configFile, '--json'])).stdout,
      );
      expect(again.alreadyProcessed + again.duplicates).toBe(1);
      expect(again.newEvents.messageSend).toBe(0);
    });

    it('quarantines every unreadable file with its reason and never deletes it', async () => {
      const t = setupConfig(sshd, { maxFileBytes: 2000, parseGraceSeconds: 30 });
      dropFile(t.remoteDir, 'not-json.json', '{"type": "messageSend", ');
      dropFile(t.remoteDir, 'empty.json', '');
      dropFile(
        t.remoteDir,
        'no-id.json',
        json({ ...messageSend, communicationActionId: undefined }),
      );
      dropFile(t.remoteDir, 'bad-date.json', json({ ...messageSend, dateCreated: 'yesterday' }));
      dropFile(t.remoteDir, 'latin1.json', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
      dropFile(t.remoteDir, 'big.json', json({ ...messageSend, body: 'x'.repeat(5000) }));
      dropFile(t.remoteDir, 'not-event.json', '[1, 2]');

      const r = await runCli(['ingest', '--config', t.configFile, '--json']);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout);
      const reasons = Object.fromEntries(
        s.quarantined.map((q: { file: string; reason: string }) => [q.file, q.reason]),
      );
      expect(reasons).toEqual({
        'not-json.json': 'not-json',
        'empty.json': 'empty',
        'no-id.json': 'missing-communicationActionId',
        'bad-date.json': 'invalid-event',
        'latin1.json': 'not-utf8',
        'big.json': 'too-large',
        'not-event.json': 'not-an-event',
      });
      expect(listDir(t.errorDir)).toEqual(Object.keys(reasons).sort());
      const d = db(t.config.database.path);
      const rows = d
        .prepare(
          'SELECT name, reason, detail, content, content_truncated FROM quarantine ORDER BY name',
        )
        .all() as {
        name: string;
        reason: string;
        detail: string;
        content: Buffer;
        content_truncated: number;
      }[];
      expect(rows).toHaveLength(7);
      const nj = rows.find((x) => x.name === 'not-json.json');
      expect(nj?.content.toString()).toBe('{"type": "messageSend", ');
      expect(rows.find((x) => x.name === 'big.json')?.content_truncated).toBe(1);
      expect(rows.find((x) => x.name === 'bad-date.json')?.detail).toContain('dateCreated');
      d.close();
    });

    it('leaves young, hidden and partial files alone, and retries a young unreadable file', async () => {
      const t = setupConfig(sshd, { minFileAgeSeconds: 30, parseGraceSeconds: 300 });
      dropFile(t.remoteDir, 'young.json', json(messageSend), 1);
      dropFile(t.remoteDir, 'upload.json.part', json(messageSend));
      dropFile(t.remoteDir, 'upload.json.filepart', json(messageSend));
      dropFile(t.remoteDir, 'x.json.tmp', json(messageSend));
      dropFile(t.remoteDir, '.hidden.json', json(messageSend));
      dropFile(t.remoteDir, 'notes.txt', 'hello');
      dropFile(
        t.remoteDir,
        'half.json',
        '{"type": "inboundMessage", "communicationActionId": "1"',
        60,
      );

      const s = JSON.parse((await runCli(['ingest', '--config', t.configFile, '--json'])).stdout);
      expect(s.young).toBe(1);
      expect(s.fetched).toBe(0);
      expect(s.waiting.map((w: { file: string }) => w.file)).toEqual(['half.json']);
      expect(listDir(t.remoteDir)).toEqual(
        [
          '.hidden.json',
          'error',
          'half.json',
          'notes.txt',
          'processed',
          'upload.json.filepart',
          'upload.json.part',
          'x.json.tmp',
          'young.json',
        ].sort(),
      );
      // Once the upload finishes, the file is ingested on the next poll.
      dropFile(
        t.remoteDir,
        'half.json',
        json({ ...inboundMessage, communicationActionId: '1' }),
        60,
      );
      const s2 = JSON.parse((await runCli(['ingest', '--config', t.configFile, '--json'])).stdout);
      expect(s2.newEvents.inboundMessage).toBe(1);
      expect(listDir(t.processedDir)).toEqual(['half.json']);
    });

    it('refuses a server whose host key does not match the pin, before touching any file', async () => {
      const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      const t = setupConfig(sshd, { hostKeyFingerprint: wrong });
      dropFile(t.remoteDir, 'send.json', json(messageSend));
      const r = await runCli(['ingest', '--config', t.configFile]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`server offered ${sshd.fingerprint}`);
      expect(r.stderr).toContain(`config pins ${wrong}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(listDir(t.remoteDir)).toEqual(['send.json']);
    });

    it('refuses a remoteDir that does not exist, naming it, and creates nothing on the server', async () => {
      const probe = setupConfig(sshd);
      const missing = `${probe.remoteDir}/typo`;
      const t = setupConfig(sshd, {
        remoteDir: missing,
        processedDir: `${missing}/processed`,
        errorDir: `${missing}/error`,
      });
      const r = await runCli(['ingest', '--config', t.configFile]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`sftp.remoteDir ${missing} does not exist on the server`);
      expect(listDir(probe.remoteDir)).toEqual([]);
    });

    it('delete mode removes ingested files; keep mode leaves them and stores nothing twice', async () => {
      const del = setupConfig(sshd, { afterIngest: 'delete' });
      dropFile(del.remoteDir, 'send.json', json(messageSend));
      dropFile(del.remoteDir, 'bad.json', 'nope', 600);
      expect((await runCli(['ingest', '--config', del.configFile])).code).toBe(0);
      expect(listDir(del.remoteDir)).toEqual(['error']);
      expect(listDir(del.errorDir)).toEqual(['bad.json']);

      const keep = setupConfig(sshd, { afterIngest: 'keep' });
      dropFile(keep.remoteDir, 'send.json', json(messageSend));
      const first = JSON.parse(
        (await runCli(['ingest', '--config', keep.configFile, '--json'])).stdout,
      );
      expect(first.finished.kept).toBe(1);
      const second = JSON.parse(
        (await runCli(['ingest', '--config', keep.configFile, '--json'])).stdout,
      );
      // Read again to compare (a re-upload with the same size and time would differ), and
      // found unchanged: nothing committed, nothing counted twice.
      expect(second.kept).toEqual({ known: 1, rechecked: 1 });
      expect(second.fetched).toBe(0);
      expect(second.duplicates).toBe(0);
      expect(listDir(keep.remoteDir)).toEqual(['error', 'send.json']);
    });

    it('never overwrites a name already taken in processed/ or error/', async () => {
      const t = setupConfig(sshd);
      fs.mkdirSync(t.processedDir);
      fs.mkdirSync(t.errorDir);
      fs.writeFileSync(path.join(t.processedDir, 'send.json'), 'older file');
      fs.writeFileSync(path.join(t.processedDir, 'send~1.json'), 'older file 2');
      fs.writeFileSync(path.join(t.errorDir, 'bad.json'), 'older bad');
      // A byte-identical copy under a name taken is not kept twice.
      fs.writeFileSync(path.join(t.errorDir, 'same.json'), 'not json');
      dropFile(t.remoteDir, 'same.json', 'not json', 600);
      dropFile(t.remoteDir, 'send.json', json(messageSend));
      dropFile(t.remoteDir, 'bad.json', 'garbage', 600);
      expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
      expect(listDir(t.processedDir)).toEqual(['send.json', 'send~1.json', 'send~2.json']);
      expect(fs.readFileSync(path.join(t.processedDir, 'send.json'), 'utf8')).toBe('older file');
      expect(fs.readFileSync(path.join(t.processedDir, 'send~2.json'), 'utf8')).toBe(
        json(messageSend),
      );
      expect(listDir(t.errorDir)).toEqual(['bad.json', 'bad~1.json', 'same.json']);
      expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
      expect(fs.readFileSync(path.join(t.errorDir, 'bad~1.json'), 'utf8')).toBe('garbage');
    });

    it('leaves symlinks, FIFOs and folders that match the pattern alone, and says so', async () => {
      const t = setupConfig(sshd, { pattern: '*' });
      dropFile(t.remoteDir, 'send.json', json(messageSend));
      // A symlink to a file outside the folder: following it would read (and move) someone
      // else's file. A FIFO: opening it would block the poll forever.
      const outside = path.join(t.local, 'private.json');
      fs.writeFileSync(outside, json(inboundMessage));
      fs.symlinkSync(outside, path.join(t.remoteDir, 'link.json'));
      fs.symlinkSync(path.join(t.remoteDir, 'send.json'), path.join(t.remoteDir, 'loop.json'));
      execFileSync('mkfifo', [path.join(t.remoteDir, 'pipe.json')]);
      fs.mkdirSync(path.join(t.remoteDir, 'folder.json'));

      const r = await runCli(['ingest', '--config', t.configFile]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'skipped: 2 symlinks, 1 fifo, 1 folder (not regular files: never followed, read, moved or deleted)',
      );
      const again = JSON.parse(
        (await runCli(['ingest', '--config', t.configFile, '--json'])).stdout,
      );
      expect(again.skipped).toEqual({ symlink: 2, fifo: 1, directory: 1 });
      expect(listDir(t.remoteDir)).toEqual([
        'error',
        'folder.json',
        'link.json',
        'loop.json',
        'pipe.json',
        'processed',
      ]);
      expect(listDir(t.processedDir)).toEqual(['send.json']);
      expect(fs.readFileSync(outside, 'utf8')).toBe(json(inboundMessage));
      const d = db(t.config.database.path);
      expect(count(d, 'SELECT count(*) AS n FROM inbound')).toBe(0);
      d.close();
      const status = await runCli(['status', '--config', t.configFile]);
      expect(status.stdout).toContain(
        'skipped by the last poll: 2 symlinks, 1 fifo, 1 folder (matching the pattern but not regular files; left alone)',
      );
    });
  });
});

describe('logins against a real OpenSSH server', () => {
  const sshd = useSshd();

  it('logs in with a password, and with ECDSA and passphrase-protected RSA keys', async () => {
    const pw = passwordUser();
    const keyDir = fs.mkdtempSync(path.join(sshd.dir, 'keys-'));
    const ecdsa = path.join(keyDir, 'ecdsa');
    const rsa = path.join(keyDir, 'rsa');
    keygen(ecdsa, 'ecdsa');
    keygen(rsa, 'rsa', 'correct horse');
    const server = await startSshd({
      passwordUser: pw.name,
      extraAuthorizedKeys: [
        fs.readFileSync(`${ecdsa}.pub`, 'utf8'),
        fs.readFileSync(`${rsa}.pub`, 'utf8'),
      ],
    });
    try {
      const viaPassword = setupConfig(server, { username: pw.name, privateKeyPath: undefined });
      dropFile(viaPassword.remoteDir, 'send.json', json(messageSend));
      const r1 = await runCli(['ingest', '--config', viaPassword.configFile, '--json'], {
        SFTP_PASSWORD: pw.password,
      });
      expect(r1.stderr).toBe('');
      expect(JSON.parse(r1.stdout).newEvents.messageSend).toBe(1);
      const wrongPw = await runCli(['ingest', '--config', viaPassword.configFile], {
        SFTP_PASSWORD: 'wrong',
      });
      expect(wrongPw.code).toBe(1);
      expect(wrongPw.stderr).toContain('authentication failed');
      expect(wrongPw.stderr).not.toContain('wrong');

      const viaEcdsa = setupConfig(server, { privateKeyPath: ecdsa });
      dropFile(viaEcdsa.remoteDir, 'send.json', json(messageSend));
      expect((await runCli(['ingest', '--config', viaEcdsa.configFile])).code).toBe(0);
      expect(listDir(viaEcdsa.processedDir)).toEqual(['send.json']);

      const viaRsa = setupConfig(server, { privateKeyPath: undefined });
      dropFile(viaRsa.remoteDir, 'send.json', json(messageSend));
      const r3 = await runCli(['ingest', '--config', viaRsa.configFile], {
        SFTP_PRIVATE_KEY_PATH: rsa,
        SFTP_PASSPHRASE: 'correct horse',
      });
      expect(r3.stderr).toBe('');
      expect(listDir(viaRsa.processedDir)).toEqual(['send.json']);

      // The same secrets from root-only files, as the README's pm2 set-up keeps them.
      const secrets = fs.mkdtempSync(path.join(sshd.dir, 'secrets-'));
      const pwFile = path.join(secrets, 'password');
      const phraseFile = path.join(secrets, 'passphrase');
      fs.writeFileSync(pwFile, `${pw.password}\n`, { mode: 0o600 });
      fs.writeFileSync(phraseFile, 'correct horse\n', { mode: 0o600 });
      const viaPwFile = setupConfig(server, {
        username: pw.name,
        privateKeyPath: undefined,
        passwordFile: pwFile,
      });
      dropFile(viaPwFile.remoteDir, 'send.json', json(messageSend));
      const r4 = await runCli(['ingest', '--config', viaPwFile.configFile]);
      expect(r4.stderr).toBe('');
      expect(listDir(viaPwFile.processedDir)).toEqual(['send.json']);
      const viaPhraseFile = setupConfig(server, {
        privateKeyPath: rsa,
        passphraseFile: phraseFile,
      });
      dropFile(viaPhraseFile.remoteDir, 'send.json', json(messageSend));
      const r5 = await runCli(['ingest', '--config', viaPhraseFile.configFile]);
      expect(r5.stderr).toBe('');
      expect(listDir(viaPhraseFile.processedDir)).toEqual(['send.json']);
    } finally {
      server.stop();
    }
  });
});
