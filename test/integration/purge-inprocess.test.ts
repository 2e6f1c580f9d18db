import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { listExportFiles, removeExportFile } from '../../src/io/files/export-files.js';
import { SftpSource } from '../../src/io/sftp/index.js';
import type { SqliteStore } from '../../src/io/store/index.js';
import type { Source } from '../../src/pipeline/ports.js';
import {
  runPurge,
  type ExportFiles,
  type PurgeOptions,
  type RetentionSettings,
} from '../../src/pipeline/purge-run.js';
import { inboundMessage, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { listDir, setupConfig, type TestSetup } from '../helpers/harness.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { SERVERS, useServer } from '../helpers/use-sshd.js';

// Retention run in this process against a real sshd, a real SQLite store and real day files,
// with a fixed clock so every cut-off below is worked out by hand:
//
//   now            2026-07-15 12:00:00 UTC (13:00 in Europe/London, BST)
//   exportDays 45  oldest day kept 2026-07-15 − 45 days = 2026-05-31
//   storeDays 20   day 2026-06-25 starts in London at 2026-06-24T23:00:00Z: the cut-off
//   processedDays 30  files modified before 2026-06-15 12:00:00 UTC go
//   errorDays 10      files modified before 2026-07-05 12:00:00 UTC go
const NOW = Date.UTC(2026, 6, 15, 12, 0, 0);
const DAY = 86_400_000;
const STORE_CUTOFF = Date.UTC(2026, 5, 24, 23, 0, 0);
const ALL: RetentionSettings = { processedDays: 30, errorDays: 10, exportDays: 45, storeDays: 20 };

type Logged = { level: string; obj: object; msg: string | undefined };
function recordingLog(into: Logged[]) {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      into.push({ level, obj, msg });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function touch(file: string, mtimeMs: number, content = '{}'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.utimesSync(file, new Date(mtimeMs), new Date(mtimeMs));
}

const reports = ['sends', 'inbound'];
function dayFile(dir: string, report: string, day: string): string {
  const file = path.join(dir, report, `${report}-${day}.csv`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'header\n');
  return file;
}

/** A store with one send, one inbound message and one status just before the store cut-off
 *  and one send exactly at it (dates are UTC, the source zone). */
function seededStore(): SqliteStore {
  const { store } = freshStore('Europe/London');
  ingestEvents(
    store,
    [
      { ...messageSend, communicationActionId: 'old', dateCreated: '2026-06-24 22:59:59.999' },
      { ...inboundMessage, communicationActionId: 'in', dateCreated: '2026-06-24 22:00:00.000' },
      {
        ...messageStatusUpdate,
        communicationActionId: 'old',
        dateCreated: '2026-06-24 22:59:59.999',
      },
      { ...messageSend, communicationActionId: 'edge', dateCreated: '2026-06-24 23:00:00.000' },
    ],
    'UTC',
    NOW,
  );
  return store;
}

function options(t: TestSetup, over: Partial<PurgeOptions> = {}): PurgeOptions {
  return {
    retention: ALL,
    processedDir: t.processedDir,
    errorDir: t.errorDir,
    afterIngest: 'move',
    timeZone: 'Europe/London',
    ...over,
  };
}

const realExportFiles = (dir: string): ExportFiles => ({
  list: () => listExportFiles(dir, reports),
  remove: removeExportFile,
});

describe.each(SERVERS)('%s', (kind) => {
  const sshd = useServer(kind);

  describe('runPurge in process', () => {
    it('removes only what is older than each setting, at the exact boundaries, after a dry run that removes nothing', async () => {
      const t = setupConfig(sshd);
      const config = validateConfig(t.raw, {}, t.configFile);
      const exportDir = t.config.export.dir;
      const store = seededStore();
      // Day files: the day before the oldest kept day goes, the oldest kept day stays.
      const gone = dayFile(exportDir, 'sends', '2026-05-30');
      const kept = dayFile(exportDir, 'sends', '2026-05-31');
      const goneInbound = dayFile(exportDir, 'inbound', '2026-01-01');
      for (const [report, day, file] of [
        ['sends', '2026-05-30', gone],
        ['sends', '2026-05-31', kept],
        ['inbound', '2026-01-01', goneInbound],
      ] as const)
        store.recordExport({
          report,
          day,
          path: file,
          rows: 0,
          bytes: 7,
          sha256: '',
          exportedAt: NOW,
        });
      // Server files, modified exactly at and one second before each folder's cut-off.
      const processedCut = NOW - 30 * DAY;
      const errorCut = NOW - 10 * DAY;
      touch(path.join(t.processedDir, 'old.json'), processedCut - 1000);
      touch(path.join(t.processedDir, 'edge.json'), processedCut);
      fs.mkdirSync(path.join(t.processedDir, 'folder.json'));
      fs.utimesSync(path.join(t.processedDir, 'folder.json'), 0, 0);
      touch(path.join(t.errorDir, 'bad-old.json'), errorCut - 1000);
      touch(path.join(t.errorDir, 'bad-edge.json'), errorCut);
      // The watched folder is never retention's business, however old.
      touch(path.join(t.remoteDir, 'ancient.json'), 0);

      const logged: Logged[] = [];
      let connections = 0;
      const deps = {
        store,
        exportFiles: realExportFiles(exportDir),
        connect: () => {
          connections++;
          return SftpSource.connect(config.sftp);
        },
        clock: () => NOW,
        log: recordingLog(logged),
      };
      try {
        const dry = await runPurge(deps, options(t), true);
        expect(dry).toEqual({
          dryRun: true,
          server: {
            processed: [path.posix.join(t.processedDir, 'old.json')],
            error: [path.posix.join(t.errorDir, 'bad-old.json')],
          },
          exports: [goneInbound, gone],
          store: {
            sends: 1,
            inbound: 1,
            statuses: 1,
            // The three events' ledger rows; the kept send's row stays.
            rawEvents: 3,
            quarantined: 0,
            files: 0,
            before: '2026-06-24T23:00:00.000Z',
          },
          failures: [],
        });
        expect(logged).toEqual([
          {
            level: 'info',
            obj: {
              dryRun: true,
              processed: 1,
              error: 1,
              exports: 2,
              store: dry.store,
              failures: 0,
            },
            msg: 'retention dry run',
          },
        ]);
        // Nothing was removed.
        expect(listDir(t.processedDir)).toEqual(['edge.json', 'folder.json', 'old.json']);
        expect(listDir(t.errorDir)).toEqual(['bad-edge.json', 'bad-old.json']);
        expect(fs.existsSync(gone)).toBe(true);
        expect(store.exportRecords().map((r) => r.day)).toEqual([
          '2026-01-01',
          '2026-05-30',
          '2026-05-31',
        ]);
        expect(store.counts().typed).toEqual({ sends: 2, inbound: 1, statuses: 1 });
        expect(store.storeHorizon()).toBeUndefined();

        const real = await runPurge(deps, options(t), false);
        expect(real).toEqual({ ...dry, dryRun: false });
        expect(logged[1]?.msg).toBe('retention applied');
        expect(listDir(t.processedDir)).toEqual(['edge.json', 'folder.json']);
        expect(listDir(t.errorDir)).toEqual(['bad-edge.json']);
        expect(listDir(t.remoteDir)).toContain('ancient.json');
        expect(listExportFiles(exportDir, reports).map((f) => f.path)).toEqual([kept]);
        expect(store.exportRecords().map((r) => r.day)).toEqual(['2026-05-31']);
        expect(store.counts().typed).toEqual({ sends: 1, inbound: 0, statuses: 0 });
        expect(store.storeHorizon()).toBe(STORE_CUTOFF);
        expect(connections).toBe(2);

        // Run again: nothing is left to remove.
        const again = await runPurge(deps, options(t), false);
        expect(again.server).toEqual({ processed: [], error: [] });
        expect(again.exports).toEqual([]);
        expect(again.store?.sends).toBe(0);
      } finally {
        store.close();
      }
    });

    it('keeps everything of a kind whose setting is null, and processed/ unless files are moved there', async () => {
      const t = setupConfig(sshd);
      const config = validateConfig(t.raw, {}, t.configFile);
      const store = seededStore();
      const day = dayFile(t.config.export.dir, 'sends', '2020-01-01');
      touch(path.join(t.processedDir, 'old.json'), 0);
      touch(path.join(t.errorDir, 'old.json'), 0);
      let connections = 0;
      const deps = {
        store,
        exportFiles: realExportFiles(t.config.export.dir),
        connect: () => {
          connections++;
          return SftpSource.connect(config.sftp);
        },
        clock: () => NOW,
        log: recordingLog([]),
      };
      try {
        const none: RetentionSettings = {
          processedDays: null,
          errorDays: null,
          exportDays: null,
          storeDays: null,
        };
        const s = await runPurge(deps, options(t, { retention: none }), false);
        expect(s).toEqual({
          dryRun: false,
          server: { processed: [], error: [] },
          exports: [],
          store: null,
          failures: [],
        });
        // No folder has a retention: the server is not even connected to.
        expect(connections).toBe(0);
        expect(fs.existsSync(day)).toBe(true);
        expect(store.counts().typed.sends).toBe(2);

        // With afterIngest "delete", processed/ holds nobody's files: processedDays is moot.
        for (const afterIngest of ['delete', 'keep'] as const) {
          const d = await runPurge(
            deps,
            options(t, { afterIngest, retention: { ...none, processedDays: 1 } }),
            false,
          );
          expect(d.server).toEqual({ processed: [], error: [] });
        }
        expect(connections).toBe(0);
        expect(listDir(t.processedDir)).toEqual(['old.json']);

        // Only errorDays: error/ is cleaned, processed/ is not looked at.
        const e = await runPurge(
          deps,
          options(t, {
            afterIngest: 'delete',
            retention: { ...ALL, exportDays: null, storeDays: null },
          }),
          false,
        );
        expect(e.server).toEqual({
          processed: [],
          error: [path.posix.join(t.errorDir, 'old.json')],
        });
        expect(listDir(t.processedDir)).toEqual(['old.json']);
        expect(listDir(t.errorDir)).toEqual([]);

        // Without a way to connect, server folders are left alone.
        const offline = { store, exportFiles: deps.exportFiles, clock: deps.clock, log: deps.log };
        const o = await runPurge(offline, options(t), false);
        expect(o.server).toEqual({ processed: [], error: [] });
        expect(o.failures).toEqual([]);
        expect(listDir(t.processedDir)).toEqual(['old.json']);
      } finally {
        store.close();
      }
    });

    it('skips a folder that does not exist, and reports what it could not remove while removing the rest', async () => {
      const t = setupConfig(sshd);
      const config = validateConfig(t.raw, {}, t.configFile);
      const store = seededStore();
      const exportDir = t.config.export.dir;
      const stuck = dayFile(exportDir, 'inbound', '2020-01-01');
      const other = dayFile(exportDir, 'sends', '2020-01-01');
      store.recordExport({
        report: 'inbound',
        day: '2020-01-01',
        path: stuck,
        rows: 0,
        bytes: 7,
        sha256: '',
        exportedAt: NOW,
      });
      // error/ does not exist; processed/ has two old files, one of which the server refuses.
      touch(path.join(t.processedDir, 'a.json'), 0);
      touch(path.join(t.processedDir, 'b.json'), 0);
      let closed = 0;
      const refusing = async (): Promise<Source> => {
        const real = await SftpSource.connect(config.sftp);
        return new Proxy(real, {
          get(target, key, receiver) {
            if (key === 'remove')
              return async (p: string) => {
                if (p.endsWith('/a.json')) throw new Error('permission denied by the server');
                return target.remove(p);
              };
            if (key === 'close')
              return async () => {
                closed++;
                return target.close();
              };
            const v = Reflect.get(target, key, receiver) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
      };
      const deps = {
        store,
        exportFiles: {
          list: () => listExportFiles(exportDir, reports),
          remove: (p: string) => {
            if (p === stuck) throw new Error('file is busy');
            removeExportFile(p);
          },
        },
        connect: refusing,
        clock: () => NOW,
        log: recordingLog([]),
      };
      try {
        const s = await runPurge(deps, options(t), false);
        // Counted once removed: a.json, refused, is a failure, not a removal.
        expect(s.server.processed).toEqual([path.posix.join(t.processedDir, 'b.json')]);
        expect(s.exports).not.toContain(stuck);
        expect(s.server.error).toEqual([]);
        expect(s.failures).toEqual([
          `${stuck}: file is busy`,
          `${path.posix.join(t.processedDir, 'a.json')}: permission denied by the server`,
        ]);
        expect(listDir(t.processedDir)).toEqual(['a.json']);
        expect(fs.existsSync(other)).toBe(false);
        // The file that could not be removed is still listed in the manifest.
        expect(store.exportRecords().map((r) => r.report)).toEqual(['inbound']);
        expect(closed).toBe(1);
        // The store part ran regardless.
        expect(s.store?.sends).toBe(1);

        // A server that cannot be reached is one failure; the rest is applied.
        const down = await runPurge(
          {
            ...deps,
            connect: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
          },
          options(t),
          false,
        );
        expect(down.failures).toEqual([
          `${stuck}: file is busy`,
          'sftp: connect ECONNREFUSED 127.0.0.1:1',
        ]);
        expect(down.server).toEqual({ processed: [], error: [] });
      } finally {
        store.close();
      }
    });
  });
});
