import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Sshd } from './sshd.mjs';
import { makeTempDir } from './temp-dirs.mjs';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(PROJECT_ROOT, 'dist', 'cli.js');

/** A temp folder for one test's local data, removed when its test file ends (temp-dirs.mjs). */
export function tempDir(prefix = 'webio-test-'): string {
  return makeTempDir(prefix);
}

export type TestSetup = {
  configFile: string;
  config: Config;
  raw: Record<string, unknown>;
  local: string;
  remoteDir: string;
  processedDir: string;
  errorDir: string;
};

/** Writes a config for `sshd` with its own remote folder and local data folder. */
export function setupConfig(
  sshd: Sshd,
  sftp: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): TestSetup {
  const local = tempDir();
  const remoteDir = fs.mkdtempSync(path.join(sshd.root, 'hooks-'));
  fs.chmodSync(remoteDir, 0o777);
  const raw = {
    sftp: {
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      privateKeyPath: sshd.clientKey,
      hostKeyFingerprint: sshd.fingerprint,
      remoteDir,
      minFileAgeSeconds: 5,
      ...sftp,
    },
    source: { timezone: 'UTC' },
    database: { path: path.join(local, 'webio.sqlite') },
    export: { dir: path.join(local, 'exports'), timezone: 'Europe/London' },
    ...rest,
  };
  const configFile = path.join(local, 'config.json');
  // Private, as a config that may hold a password must be.
  fs.writeFileSync(configFile, JSON.stringify(raw, null, 2), { mode: 0o600 });
  // Secrets a test passes through the environment are not in the file: validate without them.
  const config = validateConfig(raw, {}, configFile, { needsSftp: false });
  return {
    configFile,
    config,
    raw,
    local,
    remoteDir,
    processedDir: config.sftp.processedDir,
    errorDir: config.sftp.errorDir,
  };
}

/** Drops a file into a remote folder, aged `ageSeconds` so it is past minFileAgeSeconds. */
export function dropFile(
  dir: string,
  name: string,
  content: string | Buffer,
  ageSeconds = 60,
): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const t = new Date(Date.now() - ageSeconds * 1000);
  fs.utimesSync(file, t, t);
  return file;
}

export function listDir(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export type CliResult = { code: number; stdout: string; stderr: string };

type Main = typeof import('../../src/main.js').main;

let builtMain: Promise<Main> | undefined;

/** The build's `main`, as `dist/cli.js` calls it; loaded once per worker process. */
function loadBuiltMain(): Promise<Main> {
  builtMain ??= import(
    /* @vite-ignore */ pathToFileURL(path.join(PROJECT_ROOT, 'dist', 'main.js')).href
  ).then((m) => (m as { main: Main }).main);
  return builtMain;
}

/**
 * Runs a one-shot command of the build in this process: `main` with the arguments and
 * environment a real `webio-reports` would get, its stdout, stderr and log lines collected.
 * A process costs half a second of a core to start; these tests check what the command does,
 * not how a process starts, signals or exits (those use runCliProcess). `run` always gets a
 * process of its own.
 */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  if (args[0] === 'run') return runCliProcess(args, env, timeoutMs);
  const main = await loadBuiltMain();
  let stdout = '';
  let stderr = '';
  const output = {
    out: (t: string) => (stdout += `${t}\n`),
    err: (t: string) => (stderr += `${t}\n`),
    log: { line: (t: string) => (stderr += `${t}\n`) },
  };
  const restore = withEnv({ WEBIO_REPORTS_CONFIG: '', ...env });
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      main(args, output),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`webio-reports ${args.join(' ')} timed out; stderr: ${stderr}`)),
          timeoutMs,
        );
      }),
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    restore();
  }
}

/** Sets environment variables (undefined removes one) until the returned function is called. */
function withEnv(env: NodeJS.ProcessEnv): () => void {
  const before = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (k: string, v: string | undefined) => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  for (const [k, v] of Object.entries(env)) set(k, v);
  return () => {
    for (const [k, v] of before) set(k, v);
  };
}

/** Runs the built CLI as a real process. */
export function runCliProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, WEBIO_REPORTS_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`webio-reports ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
