import net from 'node:net';
import type { SFTPWrapper } from 'ssh2';
import { SftpError, describeError } from '../errors.js';

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
 * relies on it; `test/unit/sftp-connection.test.ts` holds it to the library's version, so an
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
 * Lets every request written in one turn of the event loop leave in one write: with many
 * requests in flight, one syscall per SFTP packet would dominate. Called before each
 * request; the socket is uncorked at the end of the turn.
 */
export class TickBatcher {
  private corked = false;
  constructor(private readonly sock: net.Socket) {}

  batch(): void {
    if (this.corked) return;
    this.corked = true;
    this.sock.cork();
    process.nextTick(() => {
      this.corked = false;
      this.sock.uncork();
    });
  }
}
