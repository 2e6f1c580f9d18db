import { validateConfig } from '../../src/config/load.js';
import { SftpSource } from '../../src/io/sftp/index.js';
import { SqliteStore } from '../../src/io/store/index.js';
import { runIngest, type IngestOptions } from '../../src/pipeline/ingest/index.js';
import type { Log, Source } from '../../src/pipeline/ports.js';
import type { setupConfig } from './harness.js';
import { memoryLog } from './log-sink.js';

type Setup = ReturnType<typeof setupConfig>;

/** A log for runs whose lines the test does not read. */
export const quiet: Log = memoryLog();

/**
 * One poll run in this process against the test's real sshd and SQLite file, so that its
 * branches are measured by coverage and mutation testing (the CLI tests run the build).
 */
export async function ingestInProcess(
  t: Setup,
  over: Partial<IngestOptions> = {},
  deps: {
    signal?: AbortSignal;
    store?: SqliteStore;
    clock?: () => number;
    log?: Log;
    /** Fault injection at the boundary: a wrapper around the real SftpSource. */
    wrap?: (source: SftpSource) => Source;
  } = {},
) {
  const config = validateConfig(t.raw, {}, t.configFile);
  const store = deps.store ?? openStore(t);
  const source = await SftpSource.connect(config.sftp, deps.log);
  try {
    return await runIngest(
      {
        source: deps.wrap ? deps.wrap(source) : source,
        store,
        log: deps.log ?? quiet,
        clock: deps.clock ?? Date.now,
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      { ...config.sftp, sourceTimeZone: 'UTC', ...over },
    );
  } finally {
    await source.close();
    if (!deps.store) store.close();
  }
}

/** The test's store, opened as the service opens it. */
export function openStore(t: Setup): SqliteStore {
  return new SqliteStore({
    path: t.config.database.path,
    busyTimeoutMs: 1000,
    exportTimeZone: 'UTC',
  });
}

/** The real source with some of its methods replaced (fault injection at the boundary). */
export function withFaults(source: SftpSource, over: Partial<Source>): Source {
  return new Proxy(source as unknown as Source, {
    get(target, key, receiver) {
      if (key in over) return over[key as keyof Source];
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
