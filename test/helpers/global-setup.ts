import { requireProftpd } from './proftpd.mjs';
import { removeCreatedUsers, requireSshd } from './sshd.mjs';

/** The suite needs real SFTP servers (OpenSSH, ProFTPD); without them it fails loudly instead of skipping. */
export default function setup(): () => void {
  requireSshd();
  requireProftpd();
  // The test user some tests add for password logins goes when the suite ends.
  return () => removeCreatedUsers();
}
