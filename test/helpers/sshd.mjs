import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeTempDir } from './temp-dirs.mjs';

export const SSHD_BIN = '/usr/sbin/sshd';

/**
 * A throwaway OpenSSH server on 127.0.0.1 with its own host key, client key and folder.
 * Plain JavaScript so that the benchmarks can use it too.
 * @typedef {object} Sshd
 * @property {number} port
 * @property {string} dir
 * @property {string} root the folder SFTP paths are served from (absolute, as the server sees it)
 * @property {string} user
 * @property {string} clientKey
 * @property {string} fingerprint host key fingerprint as `ssh-keygen -lf` prints it
 * @property {() => void} stop stops the listener and every session it forked
 * @property {() => Promise<void>} restart starts it again on the same port with the same keys
 */

export function requireSshd() {
  if (!fs.existsSync(SSHD_BIN)) {
    throw new Error(
      `OpenSSH server not found at ${SSHD_BIN}: the integration tests need it. Install it with \`apt-get install -y openssh-server\` (Debian/Ubuntu).`,
    );
  }
}

/** @returns {Promise<number>} */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = /** @type {net.AddressInfo} */ (srv.address()).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `ssh-keygen -lf` output → "SHA256:…". */
/** @param {string} pubKeyFile */
export function fingerprintOfFile(pubKeyFile) {
  const out = execFileSync('ssh-keygen', ['-lf', pubKeyFile], { encoding: 'utf8' });
  const m = /(SHA256:[A-Za-z0-9+/]+)/.exec(out);
  if (!m?.[1]) throw new Error(`unexpected ssh-keygen output: ${out}`);
  return m[1];
}

/**
 * @param {string} file
 * @param {'ed25519' | 'ecdsa' | 'rsa'} type
 */
export function keygen(file, type, passphrase = '') {
  const args = ['-q', '-t', type, '-N', passphrase, '-C', 'webio-test', '-f', file];
  if (type === 'rsa') args.splice(1, 0, '-b', '2048');
  if (type === 'ecdsa') args.splice(1, 0, '-b', '256');
  execFileSync('ssh-keygen', args);
  fs.chmodSync(file, 0o600);
}

/**
 * @typedef {object} SshdOptions
 * @property {string} [passwordUser] also allow password logins for this system user (root only; see passwordUser())
 * @property {string[]} [extraAuthorizedKeys] extra public keys to authorise
 * @property {number} [fileLimit] the open-file limit (ulimit -n) of sshd and its sessions: a
 *   server that can keep only so many files open at once
 */

/** Starts sshd as the current user; the tests run as root in CI. */
/**
 * @param {SshdOptions} [options]
 * @returns {Promise<Sshd>}
 */
export async function startSshd(options = {}) {
  requireSshd();
  const dir = makeTempDir('webio-sshd-');
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'files');
  fs.mkdirSync(root, { mode: 0o777 });
  fs.chmodSync(root, 0o777);
  const hostKey = path.join(dir, 'host_ed25519_key');
  const clientKey = path.join(dir, 'client_ed25519');
  keygen(hostKey, 'ed25519');
  keygen(clientKey, 'ed25519');
  const authorized = path.join(dir, 'authorized_keys');
  const keys = [
    fs.readFileSync(`${clientKey}.pub`, 'utf8'),
    ...(options.extraAuthorizedKeys ?? []),
  ];
  fs.writeFileSync(authorized, keys.join(''), { mode: 0o644 });
  const user = os.userInfo().username;
  if (process.getuid?.() === 0 && !fs.existsSync('/run/sshd'))
    fs.mkdirSync('/run/sshd', { mode: 0o755 });
  const port = await freePort();
  const isRoot = process.getuid?.() === 0;
  const config = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${hostKey}`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${authorized}`,
    `AllowUsers ${[user, options.passwordUser].filter(Boolean).join(' ')}`,
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${options.passwordUser ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    `UsePAM ${isRoot ? 'no' : 'yes'}`,
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'PermitTTY no',
    'MaxStartups 64',
    'MaxSessions 64',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'sshd_config'), config);
  const start = async () => {
    fs.rmSync(path.join(dir, 'sshd.pid'), { force: true });
    const args = ['-f', path.join(dir, 'sshd_config'), '-E', path.join(dir, 'sshd.log')];
    const r = options.fileLimit
      ? spawnSync(
          'sh',
          ['-c', `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, SSHD_BIN, ...args],
          { encoding: 'utf8' },
        )
      : spawnSync(SSHD_BIN, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sshd failed to start: ${r.stderr}`);
    for (let i = 0; i < 100; i++) {
      if (fs.existsSync(path.join(dir, 'sshd.pid')) && (await canConnect(port))) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(
      `sshd did not come up; log:\n${fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8')}`,
    );
  };
  await start();
  const stop = () => {
    // The listener, and every session it forked (privileged monitor and user process), so
    // that clients see the connection drop as when a server goes down.
    const root = Number(readPid(dir));
    const tree = root > 0 ? [root, ...descendants(root)] : [];
    for (const pid of tree.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
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

/** @param {number} pid @returns {number[]} */
export function descendants(pid) {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  const kids = r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

/** @param {string} dir */
function readPid(dir) {
  try {
    return fs.readFileSync(path.join(dir, 'sshd.pid'), 'utf8').trim() || '0';
  } catch {
    return '0';
  }
}

/** @param {number} port @returns {Promise<boolean>} */
export function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The system user of the password-login tests and its password: the suite's, made by its
 * global setup, or (outside the suite) one made now. Needs root (CI runs as root).
 */
/** @returns {{ name: string; password: string }} */
export function passwordUser(name = process.env.WEBIO_TEST_USER ?? 'webiotest') {
  // Set once for the whole suite by its global setup: test files run side by side, and each
  // setting a password of its own would lock the others out mid-test.
  const password = process.env.WEBIO_TEST_USER_PASSWORD;
  if (password && process.env.WEBIO_TEST_USER === name) return { name, password };
  return ensurePasswordUser(name);
}

/**
 * Adds the local user `name` if it is missing (noting that the suite added it) and gives it a
 * new random password. Run once, by the suite's global setup; needs root.
 */
/** @returns {{ name: string; password: string }} */
export function ensurePasswordUser(name = 'webiotest') {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the password-login test needs root to create a local user for sshd; run the suite as root (CI does)',
    );
  }
  if (spawnSync('id', [name]).status !== 0) {
    execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', name]);
    // The suite's global teardown removes the users it added (and only those).
    fs.writeFileSync(createdUserMarker(name), '');
  }
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  execFileSync('chpasswd', { input: `${name}:${password}\n` });
  return { name, password };
}

/** Where the suite notes that it added a system user, so that teardown removes only those. */
/** @param {string} name */
export function createdUserMarker(name) {
  return path.join(os.tmpdir(), `webio-test-created-user-${name}`);
}

/**
 * Removes the system users the suite added (their markers say which); a user that was there
 * before the suite ran is left alone.
 */
export function removeCreatedUsers(names = ['webiotest']) {
  for (const name of names) {
    const marker = createdUserMarker(name);
    if (!fs.existsSync(marker)) continue;
    spawnSync('userdel', [name]);
    fs.rmSync(marker, { force: true });
  }
}
