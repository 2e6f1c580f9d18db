import fs from 'node:fs';
import path from 'node:path';
import { compilePattern, isHiddenOrPartial } from '../core/select-files.js';
import { redactConfig } from '../config/load.js';
import { describeError, HostKeyMismatchError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { formatMode, makeDirs } from '../io/file-modes.js';
import { listExportFiles } from '../io/export-files.js';
import { SftpSource } from '../io/sftp-source.js';
import { SqliteStore } from '../io/sqlite-store.js';
import { mergeLabels } from '../core/csv-rows.js';
import { formatStatusCodes } from '../core/status-check.js';
import { STATUS_CHECK_DAYS, statusCodeCheck } from './status.js';
import { REPORTS } from '../reports/index.js';
import { commandContext, type CommonOptions, type Output } from './context.js';

type Check = { name: string; ok: boolean; detail: string };

/**
 * `doctor`: checks the config, the server's host key against the pin, login, the folders
 * on the server and the local folders. Without a pin it shows the offered fingerprint and
 * sends no credentials.
 */
export async function doctorCommand(opts: CommonOptions, output: Output): Promise<number> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    if (!opts.json) output.out(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  };
  const { config } = commandContext(opts, false);
  add('config', true, `${config.file} is valid`);
  const s = config.sftp;

  try {
    const probe = await SftpSource.probeHostKey(s);
    const pinned = s.hostKeyFingerprint;
    if (!pinned) {
      add(
        'host key',
        false,
        `server offers ${probe.fingerprint} (${probe.keyType}); not pinned: check it with the server's administrator, then set sftp.hostKeyFingerprint`,
      );
    } else if (probe.fingerprint.replace(/=+$/, '') === pinned.replace(/=+$/, '')) {
      add(
        'host key',
        true,
        `server offers ${probe.fingerprint} (${probe.keyType}), matching the pin`,
      );
    } else {
      add(
        'host key',
        false,
        `server offers ${probe.fingerprint} (${probe.keyType}), but config pins ${pinned}`,
      );
    }
  } catch (err) {
    add('connect', false, describeError(err));
  }

  if (checks.every((c) => c.ok) && !s.password && !s.privateKeyPath) {
    add(
      'login',
      false,
      'no credential: give sftp.passwordFile (or env SFTP_PASSWORD) or sftp.privateKeyPath (or env SFTP_PRIVATE_KEY_PATH)',
    );
  }
  if (checks.every((c) => c.ok)) {
    let source: SftpSource | undefined;
    try {
      source = await SftpSource.connect(s);
      add('login', true, `${s.username}@${s.host}:${s.port}`);
      const entries = await source.list(s.remoteDir);
      const matches = compilePattern(s.pattern);
      const matching = entries.filter(
        (e) => e.isFile && !isHiddenOrPartial(e.name) && matches(e.name),
      ).length;
      add(
        'remoteDir',
        true,
        `${s.remoteDir}: ${entries.length} entries, ${matching} matching ${s.pattern}`,
      );
      const dirs = s.afterIngest === 'move' ? [s.processedDir, s.errorDir] : [s.errorDir];
      for (const dir of dirs) {
        try {
          await source.ensureDir(dir);
          await source.checkWritable(dir);
          add(
            dir === s.errorDir ? 'errorDir' : 'processedDir',
            true,
            `${dir} exists and is writable`,
          );
        } catch (err) {
          add(
            dir === s.errorDir ? 'errorDir' : 'processedDir',
            false,
            `${dir}: ${describeError(err)}`,
          );
        }
      }
    } catch (err) {
      add(err instanceof HostKeyMismatchError ? 'host key' : 'sftp', false, describeError(err));
    } finally {
      await source?.close();
    }
  }

  for (const [name, dir, mode] of [
    ['database folder', path.dirname(path.resolve(config.database.path)), config.export.dirMode],
    ['export folder', path.resolve(config.export.dir), config.export.dirMode],
  ] as const) {
    try {
      await makeDirs(dir, mode);
      fs.accessSync(dir, fs.constants.W_OK);
      add(name, true, `${dir} is writable`);
    } catch (err) {
      add(name, false, `${dir}: ${describeError(err)}`);
    }
  }
  for (const finding of looseModes(config)) add('file modes', false, finding);
  if (!checks.some((c) => c.name === 'file modes'))
    add(
      'file modes',
      true,
      `store files 0600, export folders ${formatMode(config.export.dirMode)} and files ${formatMode(config.export.fileMode)} or tighter`,
    );
  // After the file modes: opening the store may create its -wal and -shm files (with the
  // database's own mode), and the modes reported are those doctor found.
  const codes = statusCodesCheck(config);
  add('status codes', codes.ok, codes.detail);
  const ok = checks.every((c) => c.ok);
  if (opts.json) output.out(JSON.stringify({ ok, checks, config: redactConfig(config) }, null, 2));
  return ok ? 0 : 1;
}

/**
 * The status-code check on the store, read-only (the service may be running): the codes of
 * the last 7 days with count, label and class, failing when at least 100 delivery reports
 * arrived and none is in the delivered class (the mapping is then likely wrong).
 */
function statusCodesCheck(config: Config): { ok: boolean; detail: string } {
  if (!fs.existsSync(config.database.path))
    return {
      ok: true,
      detail: `not checked: the store ${config.database.path} does not exist yet`,
    };
  let store: SqliteStore | undefined;
  try {
    store = new SqliteStore({
      path: config.database.path,
      busyTimeoutMs: config.database.busyTimeoutMs,
      exportTimeZone: config.export.timezone,
      readonly: true,
    });
    const check = statusCodeCheck(store, config.export.timezone, Date.now(), {
      classes: config.export.statusClasses,
      labels: mergeLabels(config.export.statusLabels),
    });
    const seen = `last ${STATUS_CHECK_DAYS} days: ${formatStatusCodes(check.codes)}`;
    return check.warning
      ? { ok: false, detail: `${seen}. ${check.warning}` }
      : { ok: true, detail: seen };
  } catch (err) {
    // An older schema or a store being replaced: nothing to say about the codes yet.
    return { ok: true, detail: `not checked: ${describeError(err)}` };
  } finally {
    store?.close();
  }
}

/** Bits of `actual` outside `allowed`: what makes a file looser than configured. */
const looser = (actual: number, allowed: number): boolean => (actual & 0o777 & ~allowed) !== 0;

/**
 * The store's files and the exports that are readable or writable beyond their configured
 * modes (files written by an older version, or changed by hand), each with the fixing chmod.
 */
export function looseModes(config: Config): string[] {
  const found: string[] = [];
  const db = path.resolve(config.database.path);
  for (const file of [db, `${db}-wal`, `${db}-shm`, `${db}.lock`]) {
    const st = statOrUndefined(file);
    if (st && looser(st.mode, 0o600))
      found.push(`${file} is ${formatMode(st.mode)}, looser than 0600: chmod 600 ${file}`);
  }
  const dir = path.resolve(config.export.dir);
  const { fileMode, dirMode } = config.export;
  const folders = [
    dir,
    ...REPORTS.map((r) => path.join(dir, r.name)),
    path.join(dir, 'parquet'),
    ...REPORTS.map((r) => path.join(dir, 'parquet', r.name)),
  ];
  for (const folder of folders) {
    const st = statOrUndefined(folder);
    if (st && looser(st.mode, dirMode))
      found.push(
        `${folder} is ${formatMode(st.mode)}, looser than export.dirMode ${formatMode(dirMode)}: chmod ${formatMode(dirMode)} ${folder}`,
      );
  }
  const files = [
    path.join(dir, 'manifest.json'),
    path.join(dir, 'datapackage.json'),
    ...listExportFiles(
      dir,
      REPORTS.map((r) => r.name),
    ).map((f) => f.path),
  ];
  const loose = files.filter((f) => {
    const st = statOrUndefined(f);
    return st !== undefined && looser(st.mode, fileMode);
  });
  if (loose.length)
    found.push(
      `${loose.length} export file(s) under ${dir} are looser than export.fileMode ${formatMode(fileMode)}: find ${dir} -type f -exec chmod ${formatMode(fileMode)} {} +`,
    );
  return found;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
