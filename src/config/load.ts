import { describeJsonSyntaxError } from '../core/json-syntax.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';
import { ConfigError } from '../errors.js';
import { formatMode } from '../core/file-mode.js';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** The default config shipped in `config/`, used when neither --config nor WEBIO_REPORTS_CONFIG is given. */
export const DEFAULT_CONFIG_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'config',
  'default.json',
);

/** Which file to read: the flag, else the environment, else the shipped default. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.WEBIO_REPORTS_CONFIG || DEFAULT_CONFIG_PATH);
}

/** Reads and parses the JSON file; does not validate. `from` says who named the file. */
export function readConfigFile(file: string, from = ''): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `config file ${file}${from} does not exist`
        : `cannot read config file ${file}${from} (${code ?? String(err)})`,
      { cause: err },
    );
  }
  const json = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // Position and kind only: the file may hold a password.
    throw new ConfigError(
      `config file ${file} is not valid JSON: ${describeJsonSyntaxError(json)}`,
    );
  }
}

/** What a config without a credential is told, by every command alike. */
export const MISSING_CREDENTIAL =
  'give a passwordFile (or env SFTP_PASSWORD) or a privateKeyPath (or env SFTP_PRIVATE_KEY_PATH)';

/** What a config without a pinned host key is told, by every command alike. */
export const MISSING_PIN =
  'required; run `webio-reports doctor` to see the fingerprint the server offers, check it with its administrator, and pin it';

/**
 * Validates raw config plus secrets from the environment, and reports every problem
 * at once by key path.
 */
export function validateConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  source: string,
  options: { needsSftp?: boolean } = {},
): Config {
  const withEnv = applyEnv(raw, env);
  const result = configSchema.safeParse(withEnv);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const key = issue.path.length ? issue.path.join('.') : '(root)';
        return `  ${key}: ${issue.message}`;
      });
  // Problems across fields are found in every section that is valid on its own, so that
  // one run of a command lists them with the schema's.
  const lenient = withEnv as Record<string, unknown> | null;
  const sftp = result.success
    ? result.data.sftp
    : configSchema.shape.sftp.safeParse(lenient?.sftp).data;
  const exportSettings = result.success
    ? result.data.export
    : configSchema.shape.export.safeParse(lenient?.export).data;
  if (sftp) problems.push(...sftpProblems(sftp, options.needsSftp !== false));
  const hashKey = env.WEBIO_REPORTS_HASH_KEY;
  if (exportSettings?.addressMode === 'hash' && (hashKey === undefined || hashKey.length < 16)) {
    problems.push(
      `  export.addressMode: "hash" needs a secret key of at least 16 characters in env WEBIO_REPORTS_HASH_KEY (${hashKey === undefined ? 'not set' : 'too short'}); keep it stable, or hashed addresses stop matching earlier files`,
    );
  }
  if (problems.length || !result.success)
    throw new ConfigError(`invalid config ${source}:\n${problems.join('\n')}`);
  const c = result.data;
  const { processedDir, errorDir } = serverFolders(c.sftp);
  return {
    ...c,
    export: c.export.addressMode === 'hash' ? { ...c.export, hashKey } : c.export,
    sftp: { ...c.sftp, processedDir, errorDir },
    schedule: { ...c.schedule, timezone: c.schedule.timezone ?? c.export.timezone },
  };
}

type SftpSettings = z.output<typeof configSchema>['sftp'];

/** processedDir and errorDir, as configured or derived from remoteDir. */
function serverFolders(sftp: SftpSettings): { processedDir: string; errorDir: string } {
  return {
    processedDir: sftp.processedDir ?? posix.join(sftp.remoteDir, 'processed'),
    errorDir: sftp.errorDir ?? posix.join(sftp.remoteDir, 'error'),
  };
}

/** What the sftp settings must satisfy together: a credential, a pin, folders apart. */
function sftpProblems(sftp: SftpSettings, needsSftp: boolean): string[] {
  const problems: string[] = [];
  if (needsSftp && !sftp.password && !sftp.passwordFile && !sftp.privateKeyPath)
    problems.push(`  sftp: ${MISSING_CREDENTIAL}`);
  for (const [inline, fromFile] of [
    ['password', 'passwordFile'],
    ['passphrase', 'passphraseFile'],
  ] as const) {
    if (sftp[inline] !== undefined && sftp[fromFile] !== undefined)
      problems.push(
        `  sftp.${fromFile}: give the ${inline} one way only (sftp.${inline} or env SFTP_${inline.toUpperCase()}, or sftp.${fromFile})`,
      );
  }
  if (needsSftp && !sftp.hostKeyFingerprint)
    problems.push(`  sftp.hostKeyFingerprint: ${MISSING_PIN}`);
  const { processedDir, errorDir } = serverFolders(sftp);
  problems.push(
    ...folderProblems(
      sftp.remoteDir,
      sftp.afterIngest === 'move' ? processedDir : undefined,
      errorDir,
    ),
  );
  return problems;
}

/** A server path without trailing slashes or dot segments. */
const normal = (p: string): string => posix.normalize(p).replace(/(.)\/+$/, '$1');

/** True when `inner` is `outer` or a folder below it. */
const within = (inner: string, outer: string): boolean =>
  inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);

/**
 * The server folders must not collide: files moved to processedDir would be read again from
 * a watched folder, and retention of processed files would delete quarantined ones. The
 * processed and error folders may sit inside remoteDir (the default): a poll lists only the
 * folder itself, not below it.
 */
export function folderProblems(
  remoteDir: string,
  processedDir: string | undefined,
  errorDir: string,
): string[] {
  const [remote, error] = [normal(remoteDir), normal(errorDir)];
  const processed = processedDir === undefined ? undefined : normal(processedDir);
  const problems: string[] = [];
  if (processed !== undefined) {
    if (processed === remote) problems.push('  sftp.processedDir: must differ from sftp.remoteDir');
    else if (within(remote, processed))
      problems.push(
        `  sftp.remoteDir: must not be inside sftp.processedDir (${processed}): retention of processed files would delete files not yet read`,
      );
    if (processed === error)
      problems.push(
        '  sftp.errorDir: must differ from sftp.processedDir: retention of processed files would delete quarantined ones',
      );
    else if (within(error, processed))
      problems.push(
        `  sftp.errorDir: must not be inside sftp.processedDir (${processed}): retention of processed files would reach quarantined ones`,
      );
    else if (within(processed, error))
      problems.push(
        `  sftp.processedDir: must not be inside sftp.errorDir (${error}): retention of quarantined files would reach processed ones`,
      );
  }
  if (error === remote) problems.push('  sftp.errorDir: must differ from sftp.remoteDir');
  else if (within(remote, error))
    problems.push(
      `  sftp.remoteDir: must not be inside sftp.errorDir (${error}): retention of quarantined files would delete files not yet read`,
    );
  return problems;
}

/** Loads the config for a command: file (flag, env or default), env secrets, validation. */
export function loadConfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: { needsSftp?: boolean } = {},
): Config & { file: string } {
  const file = resolveConfigPath(flag, env);
  const from =
    flag !== undefined
      ? ''
      : env.WEBIO_REPORTS_CONFIG
        ? ' (named by WEBIO_REPORTS_CONFIG)'
        : ' (the default; give --config FILE or set WEBIO_REPORTS_CONFIG)';
  const raw = readConfigFile(file, from);
  refuseReadableInlineSecrets(file, raw);
  const config = validateConfig(raw, env, file, options);
  return { ...readSecretFiles(config), file };
}

/** Group and other permission bits: a secret's file must have none (ssh's rule for keys). */
const SHARED_BITS = 0o077;

/**
 * A config file that holds a password or passphrase inline must be private to its owner,
 * as ssh requires of private keys and libpq of .pgpass.
 */
function refuseReadableInlineSecrets(file: string, raw: unknown): void {
  const sftp = (raw as { sftp?: Record<string, unknown> } | null)?.sftp;
  if (typeof sftp !== 'object' || sftp === null) return;
  const inline = (['password', 'passphrase'] as const).filter(
    (k) => typeof sftp[k] === 'string' && sftp[k] !== '',
  );
  if (!inline.length) return;
  const st = fs.statSync(file);
  if ((st.mode & SHARED_BITS) === 0) return;
  throw new ConfigError(
    `config file ${file} holds sftp.${inline.join(' and sftp.')} and is readable by group or others (mode ${formatMode(st.mode)}); run \`chmod 600 ${file}\`, or move the secret to sftp.${inline[0]}File`,
  );
}

/**
 * A private key must be readable and private to its owner, as ssh requires: checked when
 * the config is loaded, so that every command (and `run`, which would otherwise retry a
 * loose key forever) refuses it the same way, as a config problem.
 */
function checkPrivateKey(file: string | undefined): void {
  if (file === undefined) return;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`sftp.privateKeyPath ${file} cannot be read (${code ?? 'error'})`);
  }
  if ((st.mode & SHARED_BITS) !== 0)
    throw new ConfigError(
      `sftp.privateKeyPath ${file} is readable by group or others (mode ${formatMode(st.mode)}); run \`chmod 600 ${file}\``,
    );
}

/** Fills in the password and passphrase from sftp.passwordFile and sftp.passphraseFile. */
function readSecretFiles<T extends Config>(config: T): T {
  checkPrivateKey(config.sftp.privateKeyPath);
  const sftp = { ...config.sftp };
  for (const [key, fileKey] of [
    ['password', 'passwordFile'],
    ['passphrase', 'passphraseFile'],
  ] as const) {
    const file = sftp[fileKey];
    if (file === undefined) continue;
    let st: fs.Stats;
    let text: string;
    try {
      st = fs.statSync(file);
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(`sftp.${fileKey} ${file} cannot be read (${code ?? 'error'})`);
    }
    if ((st.mode & SHARED_BITS) !== 0)
      throw new ConfigError(
        `sftp.${fileKey} ${file} is readable by group or others (mode ${formatMode(st.mode)}); run \`chmod 600 ${file}\``,
      );
    // One trailing line break is the file's, not the secret's (echo and editors add one).
    const secret = text.replace(/\r?\n$/, '');
    if (secret === '') throw new ConfigError(`sftp.${fileKey} ${file} is empty`);
    sftp[key] = secret;
  }
  return { ...config, sftp };
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const obj = raw as Record<string, unknown>;
  const sftpIn = obj.sftp;
  if (
    sftpIn !== undefined &&
    (typeof sftpIn !== 'object' || sftpIn === null || Array.isArray(sftpIn))
  )
    return raw;
  const sftp: Record<string, unknown> = { ...(sftpIn as Record<string, unknown> | undefined) };
  if (env.SFTP_PASSWORD) sftp.password = env.SFTP_PASSWORD;
  if (env.SFTP_PRIVATE_KEY_PATH) sftp.privateKeyPath = env.SFTP_PRIVATE_KEY_PATH;
  if (env.SFTP_PASSPHRASE) sftp.passphrase = env.SFTP_PASSPHRASE;
  return { ...obj, sftp };
}

/** The config with secrets masked, for logs and `doctor`. */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    export: { ...config.export, hashKey: config.export.hashKey ? '***' : undefined },
    sftp: {
      ...config.sftp,
      password: config.sftp.password ? '***' : undefined,
      passphrase: config.sftp.passphrase ? '***' : undefined,
    },
  };
}
