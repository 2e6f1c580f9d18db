import fs from 'node:fs';
import { createRequire } from 'node:module';
import SftpClient from 'ssh2-sftp-client';
import { describe, expect, it } from 'vitest';
import { startEmbeddedSftpServer } from '../../src/demo/embedded-sftp-server.js';
import { openSocket, sftpChannelOf } from '../../src/io/sftp/connect.js';
import { tempDir } from '../helpers/harness.js';

const require = createRequire(import.meta.url);

// The source reaches ssh2's SFTP channel through one function, written for these versions.
// An upgrade of either library must pass here before it ships.
describe('the SFTP channel, as the libraries hand it over', () => {
  it('is what ssh2-sftp-client 12 resolves connect() with, over a socket we opened', async () => {
    const pkg = JSON.parse(
      fs.readFileSync(require.resolve('ssh2-sftp-client/package.json'), 'utf8'),
    ) as { version: string };
    expect(pkg.version.split('.')[0]).toBe('12');
    const server = await startEmbeddedSftpServer(tempDir('webio-conn-'));
    const client = new SftpClient('test');
    try {
      const sock = await openSocket(server.host, server.port, 5000);
      const sftp = sftpChannelOf(
        await client.connect({
          sock,
          host: server.host,
          port: server.port,
          username: server.username,
          password: server.password,
        }),
      );
      // A request on the channel answers: the channel is the real one.
      const attrs = await new Promise<{ mode: number }>((resolve, reject) =>
        sftp.stat('/', (err, a) => (err ? reject(err) : resolve(a))),
      );
      expect(attrs.mode & 0o040000).toBe(0o040000);
      // And it rides on our socket, whose options are ours.
      expect(sock.destroyed).toBe(false);
    } finally {
      await client.end().catch(() => undefined);
      await server.close();
    }
  });

  it('refuses anything else, naming what is missing', () => {
    expect(() => sftpChannelOf({ open() {} })).toThrow(
      /did not resolve with an SFTP channel \(missing read, fstat, close, opendir, readdir, stat, rename, unlink, mkdir\)/,
    );
    expect(() => sftpChannelOf(undefined)).toThrow(/missing open, read/);
  });
});
