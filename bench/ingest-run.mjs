// Shared by the benches: one full ingest of a remote folder into a fresh local store, in a
// child process (bench/ingest-child.mjs), with its time, counts and peak RSS.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

/**
 * Ingests `remoteDir` from `sshd` (reached on `port`, default the server's own) into a new
 * folder `local`. Runs the child asynchronously, so a latency proxy in this process keeps
 * relaying meanwhile. `nodeArgs` go to node (e.g. the flags ecosystem.config.js gives the
 * service). Resolves with { seconds, files, moved, events, rssMB }.
 */
export async function ingestInChild(
  sshd,
  { remoteDir, local, port = sshd.port, sftp = {}, nodeArgs = [] },
) {
  fs.mkdirSync(local, { recursive: true });
  const config = path.join(local, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      sftp: {
        host: '127.0.0.1',
        port,
        username: sshd.user,
        privateKeyPath: sshd.clientKey,
        hostKeyFingerprint: sshd.fingerprint,
        remoteDir,
        ...sftp,
      },
      database: { path: path.join(local, 'webio.sqlite') },
    }),
    { mode: 0o600 },
  );
  const { stdout } = await run(process.execPath, [
    ...nodeArgs,
    path.join(here, 'ingest-child.mjs'),
    config,
  ]);
  return JSON.parse(stdout);
}
