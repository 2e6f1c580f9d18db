import { afterAll, beforeAll } from 'vitest';
import { startProftpd } from './proftpd.mjs';
import { startSshd, type Sshd } from './sshd.mjs';

/**
 * One real OpenSSH sshd on 127.0.0.1 for the tests of a file: started before them, stopped
 * (with every session it forked) after them. Returns the server, usable once the tests run.
 */
export function useSshd(options: Parameters<typeof startSshd>[0] = {}): Sshd {
  return useServer('openssh', options);
}

/** The real SFTP servers the protocol tests run against. */
export const SERVERS = ['openssh', 'proftpd'] as const;
export type ServerKind = (typeof SERVERS)[number];

/**
 * A real SFTP server of the given kind for the tests of a `describe`: OpenSSH's sshd, or
 * ProFTPD's mod_sftp (which lists 25 names per READDIR, refuses a rename onto a taken name
 * with status 11, and has its own limits).
 */
export function useServer(kind: ServerKind, options: Parameters<typeof startSshd>[0] = {}): Sshd {
  let server: Sshd | undefined;
  beforeAll(async () => {
    server = kind === 'openssh' ? await startSshd(options) : await startProftpd();
  });
  afterAll(() => server?.stop());
  return new Proxy({} as Sshd, {
    get(_target, key) {
      if (!server)
        throw new Error('the server is used before the tests start (outside it/beforeEach)');
      const value = server[key as keyof Sshd];
      return typeof value === 'function' ? value.bind(server) : value;
    },
  });
}
