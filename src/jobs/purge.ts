import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import {
  forgetMissingExports,
  listExportFiles,
  removeExportFile,
} from '../io/files/export-files.js';
import type { Logger } from '../io/logger.js';
import { SftpSource } from '../io/sftp/index.js';
import type { SqliteStore } from '../io/store/index.js';
import { writeManifest } from '../pipeline/export/manifest.js';
import { runPurge, type PurgeSummary } from '../pipeline/purge-run.js';
import { REPORTS } from '../reports/index.js';
import { exportWriter, tidyExportDir } from './export.js';
import type { KeptSessions } from './ingest.js';
import { storeStepAsync } from './store.js';

/** Applies retention now (or says what it would remove, with `dryRun`). */
export async function purgeOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  dryRun = false,
  signal?: AbortSignal,
  /** The service's kept SSH session, borrowed for the server's folders. */
  sessions?: KeptSessions,
): Promise<PurgeSummary> {
  const purgeLog = log.child({ job: 'purge' });
  const forgotten = dryRun ? 0 : await tidyExportDir(config, store, purgeLog);
  const summary = await storeStepAsync(config, () =>
    runPurge(
      {
        store,
        exportFiles: {
          list: () =>
            listExportFiles(
              config.export.dir,
              REPORTS.map((r) => r.name),
            ),
          remove: removeExportFile,
        },
        connect: sessions ? () => sessions.lease() : () => SftpSource.connect(config.sftp),
        clock: Date.now,
        log: purgeLog,
        ...(signal ? { signal } : {}),
      },
      {
        retention: config.retention,
        processedDir: config.sftp.processedDir,
        errorDir: config.sftp.errorDir,
        afterIngest: config.sftp.afterIngest,
        timeZone: config.export.timezone,
      },
      dryRun,
    ),
  );
  // A file deleted and its record forgotten are two steps: a kill between them is repaired
  // here, so the manifest names exactly the files on disk after any purge.
  const manifest = path.join(config.export.dir, 'manifest.json');
  if (!dryRun) forgetMissingExports(store);
  if (!dryRun && (summary.exports.length > 0 || forgotten > 0 || fs.existsSync(manifest))) {
    try {
      await writeManifest(store, exportWriter(config), {
        dir: config.export.dir,
        timeZone: config.export.timezone,
      });
    } catch (err) {
      summary.failures.push(`${manifest}: ${describeError(err)}`);
    }
  }
  return summary;
}
