import { requireProftpd } from './proftpd.mjs';
import { requireSshd } from './sshd.mjs';

/** The suite needs real SFTP servers (OpenSSH, ProFTPD); without them it fails loudly instead of skipping. */
export default function setup(): void {
  requireSshd();
  requireProftpd();
}
