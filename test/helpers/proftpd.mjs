import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canConnect, descendants, fingerprintOfFile, freePort, keygen } from './sshd.mjs';
import { makeTempDir } from './temp-dirs.mjs';

export const PROFTPD_BIN = '/usr/sbin/proftpd';

/** The integration tests run the SFTP protocol against ProFTPD's mod_sftp too. */
export function requireProftpd() {
  if (!fs.existsSync(PROFTPD_BIN) || !fs.existsSync('/usr/lib/proftpd/mod_sftp.so')) {
    throw new Error(
      `ProFTPD with mod_sftp not found (${PROFTPD_BIN}, /usr/lib/proftpd/mod_sftp.so): the integration tests run against it as a second SFTP server. Install it with \`apt-get install -y proftpd-core proftpd-mod-crypto\` (Debian/Ubuntu).`,
    );
  }
}

/**
 * A throwaway ProFTPD (mod_sftp) on 127.0.0.1, shaped like the sshd fixture: its own host
 * key, client key and folder, logging in as the current user (root in CI) with the key.
 * ProFTPD lists 25 names per READDIR, refuses a rename onto a taken name with status 11, and
 * keeps its own limits: what OpenSSH hides.
 * @param {{ openFiles?: number; denyDelete?: boolean }} [options] openFiles: the files a
 *   session may keep open (RLimitOpenFiles), as on a server configured with a low limit;
 *   denyDelete: renames allowed, deletes refused (a common policy for upload accounts)
 * @returns {Promise<import('./sshd.mjs').Sshd>}
 */
export async function startProftpd(options = {}) {
  requireProftpd();
  const dir = makeTempDir('webio-proftpd-');
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'files');
  fs.mkdirSync(root, { mode: 0o777 });
  fs.chmodSync(root, 0o777);
  const hostKey = path.join(dir, 'host_ed25519_key');
  const clientKey = path.join(dir, 'client_ed25519');
  keygen(hostKey, 'ed25519');
  keygen(clientKey, 'ed25519');
  // mod_sftp reads authorized keys in RFC 4716 form.
  const rfc4716 = spawnSync('ssh-keygen', ['-e', '-f', `${clientKey}.pub`], { encoding: 'utf8' });
  if (rfc4716.status !== 0) throw new Error(`ssh-keygen -e failed: ${rfc4716.stderr}`);
  const authorized = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorized, rfc4716.stdout, { mode: 0o644 });
  const user = os.userInfo().username;
  const port = await freePort();
  const config = [
    'ServerName "webio-test"',
    'ServerType standalone',
    'DefaultServer on',
    // The main server listens nowhere (no FTP); the virtual host speaks SFTP only.
    'Port 0',
    'DefaultAddress 127.0.0.1',
    `User ${user}`,
    `Group ${os.userInfo().gid === 0 ? 'root' : String(os.userInfo().gid)}`,
    `PidFile ${dir}/proftpd.pid`,
    `ScoreboardFile ${dir}/proftpd.scoreboard`,
    'DelayTable none',
    'WtmpLog off',
    'UseReverseDNS off',
    'RequireValidShell off',
    'UseFtpUsers off',
    'RootLogin on',
    `SystemLog ${dir}/system.log`,
    'TransferLog none',
    'MaxInstances 64',
    'ModulePath /usr/lib/proftpd',
    'LoadModule mod_sftp.c',
    '<VirtualHost 127.0.0.1>',
    `  Port ${port}`,
    '  SFTPEngine on',
    `  SFTPLog ${dir}/sftp.log`,
    `  SFTPHostKey ${hostKey}`,
    `  SFTPAuthorizedUserKeys file:${authorized}`,
    '  SFTPAuthMethods publickey',
    ...(options.openFiles ? [`  RLimitOpenFiles ${options.openFiles}`] : []),
    '  RootLogin on',
    '  UseFtpUsers off',
    '  RequireValidShell off',
    '  WtmpLog off',
    ...(options.denyDelete ? ['  <Limit DELE>', '    DenyAll', '  </Limit>'] : []),
    '  <Limit ALL>',
    '    AllowAll',
    '  </Limit>',
    '</VirtualHost>',
    '',
  ].join('\n');
  const conf = path.join(dir, 'proftpd.conf');
  fs.writeFileSync(conf, config);
  const start = async () => {
    fs.rmSync(path.join(dir, 'proftpd.pid'), { force: true });
    const r = spawnSync(PROFTPD_BIN, ['-c', conf], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(
        `proftpd failed to start: ${r.stderr}${readOr(path.join(dir, 'system.log'))}`,
      );
    for (let i = 0; i < 100; i++) {
      if (fs.existsSync(path.join(dir, 'proftpd.pid')) && (await canConnect(port))) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`proftpd did not come up; log:\n${readOr(path.join(dir, 'system.log'))}`);
  };
  await start();
  const stop = () => {
    const pid = Number(readOr(path.join(dir, 'proftpd.pid')).trim() || '0');
    const tree = pid > 0 ? [pid, ...descendants(pid)] : [];
    for (const p of tree.reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  return {
    port,
    dir,
    root,
    user,
    clientKey,
    fingerprint: fingerprintOfFile(`${hostKey}.pub`),
    stop,
    restart: start,
  };
}

/** @param {string} file */
function readOr(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
