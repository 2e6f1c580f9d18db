import { requireProftpd } from './proftpd.mjs';
import { ensurePasswordUser, removeCreatedUsers, requireSshd } from './sshd.mjs';

/** The suite needs real SFTP servers (OpenSSH, ProFTPD); without them it fails loudly instead of skipping. */
export default function setup(): () => void {
  requireSshd();
  requireProftpd();
  // The local user of the password-login tests, with one password for every test file (the
  // files run side by side: a password set by each would lock the others out).
  if (process.getuid?.() === 0) {
    const user = ensurePasswordUser();
    process.env.WEBIO_TEST_USER = user.name;
    process.env.WEBIO_TEST_USER_PASSWORD = user.password;
  }
  // The test user some tests add for password logins goes when the suite ends.
  return () => removeCreatedUsers();
}
