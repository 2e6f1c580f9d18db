import { afterAll, beforeAll } from 'vitest';
import { startSshd, type Sshd } from './sshd.mjs';

/**
 * One real OpenSSH sshd on 127.0.0.1 for the tests of a file: started before them, stopped
 * (with every session it forked) after them. Returns the server, usable once the tests run.
 */
export function useSshd(options: Parameters<typeof startSshd>[0] = {}): Sshd {
  let server: Sshd | undefined;
  beforeAll(async () => {
    server = await startSshd(options);
  });
  afterAll(() => server?.stop());
  return new Proxy({} as Sshd, {
    get(_target, key) {
      if (!server) throw new Error('sshd is used before the tests start (outside it/beforeEach)');
      const value = server[key as keyof Sshd];
      return typeof value === 'function' ? value.bind(server) : value;
    },
  });
}
