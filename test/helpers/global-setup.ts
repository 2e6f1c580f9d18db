import { randomBytes } from 'node:crypto';
import { requireProftpd } from './proftpd.mjs';
import { ensurePasswordUser, removeCreatedUsers, requireSshd } from './sshd.mjs';

/** The suite needs real SFTP servers (OpenSSH, ProFTPD); without them it fails loudly instead of skipping. */
export default function setup(): () => void {
  requireSshd();
  requireProftpd();
  // The local user of the password-login tests, with one password for every test file (the
  // files run side by side: a password set by each would lock the others out), and a name
  // of this run's own: two suites on one machine neither reset nor remove each other's user.
  const names: string[] = [];
  if (process.getuid?.() === 0) {
    const user = ensurePasswordUser(`webiotest-${randomBytes(3).toString('hex')}`);
    names.push(user.name);
    process.env.WEBIO_TEST_USER = user.name;
    process.env.WEBIO_TEST_USER_PASSWORD = user.password;
  }
  // The test user this run added goes when the suite ends.
  return () => removeCreatedUsers(names);
}
