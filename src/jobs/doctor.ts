import fs from 'node:fs';
import path, { posix } from 'node:path';
import { MISSING_CREDENTIAL, MISSING_PIN } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { formatMode } from '../core/file-mode.js';
import { compilePattern, isHiddenOrPartial } from '../core/select-files.js';
import { formatStatusCodes, STATUS_CHECK_DAYS } from '../core/status-check.js';
import { mergeLabels } from '../core/status-labels.js';
import { describeError, HostKeyMismatchError } from '../errors.js';
import { listExportFiles } from '../io/files/export-files.js';
import { makeDirs } from '../io/files/modes.js';
import { lockFile } from '../io/lock.js';
import { SftpSource } from '../io/sftp/index.js';
import type { SqliteStore } from '../io/store/index.js';
import { REPORTS } from '../reports/index.js';
import { statusCodeCheck } from './status.js';
import { openReadOnlyStore } from './store.js';

/** One line of doctor's report; `config` marks a problem of the config itself (exit 2). */
export type Check = { name: string; ok: boolean; detail: string; config?: boolean };

/**
 * Doctor's checks, in order: the config, the server's host key against the pin, login, the
 * folders on the server, the local folders, file modes, the status codes in the store.
 * Without a pin it shows the offered fingerprint and sends no credentials. `onCheck` hears
 * each check as it is made (a slow server then shows where it is).
 */
export async function doctorChecks(
  /** The config, and the file it was read from. */
  config: Config & { file: string },
  onCheck: (check: Check) => void = () => {},
): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, config = false) => {
    const check = { name, ok, detail, ...(config ? { config } : {}) };
    checks.push(check);
    onCheck(check);
  };
  add('config', true, `${config.file} is valid`);
  const s = config.sftp;

  try {
    const probe = await SftpSource.probeHostKey(s);
    const pinned = s.hostKeyFingerprint;
    if (!pinned) {
      add(
        'host key',
        false,
        `server offers ${probe.fingerprint} (${probe.keyType}); not pinned: check it with the server's administrator, then set sftp.hostKeyFingerprint (${MISSING_PIN.replace(/^required; /, '')})`,
        true,
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
    add('login', false, `no credential: ${MISSING_CREDENTIAL}`, true);
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
      for (const c of await checkFolders(source, config)) add(c.name, c.ok, c.detail);
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
  return checks;
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
    store = openReadOnlyStore(config);
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
  for (const file of [
    db,
    `${db}-wal`,
    `${db}-shm`,
    lockFile(db, 'write'),
    lockFile(db, 'service'),
  ]) {
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

/**
 * Checks on the server what the configured service will do there, with a probe file (a dot
 * name, which no poll takes): files renamed out of remoteDir into processedDir (afterIngest
 * move) and errorDir (quarantine); deleted where afterIngest delete or a retention setting
 * needs it. A delete the config does not need is not required; a probe that could not be
 * deleted is named, so it can be removed by hand.
 */
async function checkFolders(source: SftpSource, config: Config): Promise<Check[]> {
  const s = config.sftp;
  const r = config.retention;
  const checks: Check[] = [];
  const probeName = () => `.webio-reports-probe-${process.pid}-${Date.now()}-${checks.length}`;
  const targets: { name: string; dir: string; deleteNeededBy: string | null }[] = [];
  if (s.afterIngest === 'move')
    targets.push({
      name: 'processedDir',
      dir: s.processedDir,
      deleteNeededBy: r.processedDays !== null ? 'retention.processedDays' : null,
    });
  targets.push({
    name: 'errorDir',
    dir: s.errorDir,
    deleteNeededBy: r.errorDays !== null ? 'retention.errorDays' : null,
  });
  if (s.afterIngest === 'delete')
    targets.push({
      name: 'remoteDir',
      dir: s.remoteDir,
      deleteNeededBy: 'sftp.afterIngest "delete"',
    });
  for (const t of targets) {
    const probe = posix.join(s.remoteDir, probeName());
    const done: string[] = [];
    try {
      if (await source.ensureDir(t.dir)) done.push('created');
    } catch (err) {
      checks.push({ name: t.name, ok: false, detail: `${t.dir}: ${describeError(err)}` });
      continue;
    }
    try {
      await source.createEmpty(probe);
    } catch (err) {
      checks.push({
        name: t.name,
        ok: false,
        detail: `cannot create a probe file in ${s.remoteDir} to check ${t.dir}: ${describeError(err)}`,
      });
      continue;
    }
    let at = probe;
    try {
      if (t.dir !== s.remoteDir) {
        at = posix.join(t.dir, posix.basename(probe));
        await source.move(probe, at);
        done.push(`files can be moved in from ${s.remoteDir}`);
      }
    } catch (err) {
      checks.push({
        name: t.name,
        ok: false,
        detail: `${t.dir}: files cannot be moved in from ${s.remoteDir}: ${describeError(err)}`,
      });
      await removeProbe(source, probe, checks, t.name);
      continue;
    }
    try {
      await source.remove(at);
      done.push('deleted');
      checks.push({ name: t.name, ok: true, detail: `${t.dir}: ${done.join(' and ')}` });
    } catch (err) {
      const refused = `files cannot be deleted there (${describeError(err)}); the probe ${at} was left behind (the service ignores dot files; remove it by hand)`;
      checks.push(
        t.deleteNeededBy
          ? {
              name: t.name,
              ok: false,
              detail: `${t.dir}: ${[...done, refused].join(', but ')}; ${t.deleteNeededBy} needs deletes: allow them, or change the setting`,
            }
          : {
              name: t.name,
              ok: true,
              detail: `${t.dir}: ${[...done, refused].join(', but ')} (no setting needs deletes there)`,
            },
      );
    }
  }
  return checks;
}

/** Removes a probe that could not be moved; a refusal is named, not thrown. */
async function removeProbe(
  source: SftpSource,
  probe: string,
  checks: Check[],
  name: string,
): Promise<void> {
  try {
    await source.remove(probe);
  } catch (err) {
    checks.push({
      name,
      ok: false,
      detail: `the probe ${probe} could not be deleted (${describeError(err)}); remove it by hand`,
    });
  }
}
