import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net, { type Socket } from 'node:net';
import SftpClient from 'ssh2-sftp-client';
import type { SFTPWrapper } from 'ssh2';
import { ConfigError, HostKeyMismatchError, SftpError, describeError } from '../../errors.js';
import { classifyConnectError } from './errors.js';

export type SftpSettings = {
  host: string;
  port: number;
  username: string;
  password?: string | undefined;
  privateKeyPath?: string | undefined;
  passphrase?: string | undefined;
  hostKeyFingerprint?: string | undefined;
  connectTimeoutSeconds: number;
  operationTimeoutSeconds: number;
  keepaliveIntervalSeconds: number;
  /** Files open on the server at once, at most (sftp.concurrency). */
  concurrency: number;
};

/** `SHA256:<base64 without padding>` of a raw host key, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key ("ssh-ed25519", ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return len > 0 && len < 64 && key.length >= 4 + len
    ? key.subarray(4, 4 + len).toString('latin1')
    : 'unknown';
}

function samePin(a: string, b: string): boolean {
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}

/**
 * Reads a private key file. Its mode was checked with the config (config/load.ts); this is
 * the same refusal for a caller that built its settings by hand.
 */
function readPrivateKey(file: string): Buffer {
  try {
    if ((fs.statSync(file).mode & 0o077) === 0) return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `sftp.privateKeyPath ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  throw new ConfigError(
    `sftp.privateKeyPath ${file} is readable by group or others; run \`chmod 600 ${file}\``,
  );
}

/**
 * ssh2-sftp-client prints "Global error listener: …" to the console for errors that also
 * reach the caller (a connect that fails rejects with the same error); this source watches
 * the connection itself, so the library's own listeners stay silent.
 */
const QUIET_LISTENERS = { error: () => undefined, end: () => undefined, close: () => undefined };

/**
 * Opens the TCP connection the SSH session runs on, so that its options are ours to set
 * (handed to ssh2-sftp-client as its documented `sock` option): TCP_NODELAY, since Nagle
 * plus delayed ACKs stall every request by ~40 ms, and TCP keepalive.
 */
export function openSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, noDelay: true, keepAlive: true });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        Object.assign(new Error(`no TCP connection within ${timeoutMs / 1000} s`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The methods of ssh2's SFTPWrapper the source uses (and checks are there). */
const SFTP_METHODS = [
  'open',
  'read',
  'fstat',
  'close',
  'opendir',
  'readdir',
  'stat',
  'rename',
  'unlink',
  'mkdir',
] as const;

/**
 * The SFTP channel of a session, from what ssh2-sftp-client's `connect()` resolves with: ssh2's
 * SFTPWrapper, whose requests the source keeps many of in flight. This is the one place that
 * relies on it; `test/integration/sftp-connection.test.ts` holds it to the library's version, so an
 * upgrade that changes it fails there, by name, instead of at run time.
 */
export function sftpChannelOf(connected: unknown): SFTPWrapper {
  const missing = SFTP_METHODS.filter(
    (m) => typeof (connected as Record<string, unknown> | null)?.[m] !== 'function',
  );
  if (missing.length)
    throw new SftpError(
      'connect',
      `ssh2-sftp-client's connect() did not resolve with an SFTP channel (missing ${missing.join(', ')}); this version of the library is not supported: ${describeError(connected)}`,
    );
  return connected as SFTPWrapper;
}

/**
 * Opens an SSH session on a TCP socket of our own (TCP_NODELAY, keepalive), authenticated
 * through ssh2-sftp-client, with its SFTP channel. The host key is checked against the pin
 * before any credential is sent; a mismatch is a HostKeyMismatchError naming the offered key.
 */
export async function connectSession(
  s: SftpSettings,
): Promise<{ client: SftpClient; sock: Socket; sftp: SFTPWrapper }> {
  const client = new SftpClient('webio-reports', QUIET_LISTENERS);
  let offered: string | undefined;
  let offeredType = '';
  const privateKey = s.privateKeyPath ? readPrivateKey(s.privateKeyPath) : undefined;
  const pin = s.hostKeyFingerprint;
  let sock: Socket | undefined;
  let sftp: SFTPWrapper;
  try {
    sock = await openSocket(s.host, s.port, s.connectTimeoutSeconds * 1000);
    sftp = sftpChannelOf(
      await client.connect({
        sock,
        host: s.host,
        port: s.port,
        username: s.username,
        ...(s.password !== undefined ? { password: s.password } : {}),
        ...(privateKey !== undefined ? { privateKey } : {}),
        ...(s.passphrase !== undefined ? { passphrase: s.passphrase } : {}),
        readyTimeout: s.connectTimeoutSeconds * 1000,
        keepaliveInterval: s.keepaliveIntervalSeconds * 1000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          offered = fingerprintOf(key);
          offeredType = keyTypeOf(key);
          return pin !== undefined && samePin(offered, pin);
        },
      }),
    );
  } catch (err) {
    await client.end().catch(() => undefined);
    sock?.destroy();
    if (offered !== undefined && (pin === undefined || !samePin(offered, pin))) {
      const mismatch = new HostKeyMismatchError(`${offered} (${offeredType})`, pin);
      throw mismatch;
    }
    throw err instanceof SftpError ? err : classifyConnectError(err, s);
  }
  return { client, sock, sftp };
}

/** Connects only far enough to learn the server's host key fingerprint; sends no credentials. */
export async function probeHostKey(
  s: Pick<SftpSettings, 'host' | 'port' | 'username' | 'connectTimeoutSeconds'>,
): Promise<{ fingerprint: string; keyType: string }> {
  const client = new SftpClient('webio-reports-probe', QUIET_LISTENERS);
  let found: { fingerprint: string; keyType: string } | undefined;
  try {
    await client.connect({
      host: s.host,
      port: s.port,
      username: 'probe',
      readyTimeout: s.connectTimeoutSeconds * 1000,
      hostVerifier: (key: Buffer) => {
        found = { fingerprint: fingerprintOf(key), keyType: keyTypeOf(key) };
        return false;
      },
    });
  } catch (err) {
    if (found) return found;
    throw classifyConnectError(err, s);
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new SftpError('connect', 'the server never showed a host key');
}
