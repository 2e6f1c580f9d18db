import { requireSshd } from './sshd.mjs';

/** The suite needs a real OpenSSH server; without one it fails loudly instead of skipping. */
export default function setup(): void {
  requireSshd();
}
