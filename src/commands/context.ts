import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { StoppedError, type AppError } from '../errors.js';
import { createLogger, type LogLines, type Logger } from '../io/logger.js';
import type { SqliteStore } from '../io/store/index.js';

/** Options every command takes. */
export type CommonOptions = {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  logFormat?: 'text' | 'json';
};

/** Log lines as asked, else JSON under pm2 (which sets pm_id) and text for a person. */
export function logFormat(opts: CommonOptions): 'text' | 'json' {
  return opts.logFormat ?? (process.env.pm_id !== undefined ? 'json' : 'text');
}

/**
 * Where a command prints; tests pass their own. A one-shot command's log lines go to `log`
 * when it is given, else to stderr.
 */
export type Output = { out(text: string): void; err(text: string): void; log?: LogLines };

export const processOutput: Output = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Loads config and a stderr logger for a one-shot command (warnings only unless --verbose). */
export function commandContext(
  opts: CommonOptions,
  output: Output,
  needsSftp = true,
): { config: Config & { file: string }; log: Logger } {
  const config = loadConfig(opts.config, process.env, { needsSftp });
  const log = createLogger(
    opts.verbose ? config.log.level : 'warn',
    output.log ?? 'stderr',
    logFormat(opts),
  );
  return { config, log };
}

/**
 * Prints a command's result, as JSON or as text, and then throws `failure` if there is one:
 * with --json, the failure goes into the same document (`ok: false` and the error), so
 * stdout holds one JSON document whatever happened.
 */
export function printResult(
  opts: CommonOptions,
  output: Output,
  result: object,
  text: () => string,
  failure?: AppError,
): number {
  if (opts.json)
    output.out(
      JSON.stringify(
        failure
          ? { ...result, ok: false, error: { code: failure.code, message: failure.message } }
          : result,
        null,
        2,
      ),
    );
  else output.out(text());
  if (failure) {
    failure.reported = true;
    throw failure;
  }
  return 0;
}

/**
 * SIGINT and SIGTERM for a one-shot command that writes (ingest, export, purge, erase,
 * backup): the first asks it to stop at its next safe point (a transaction boundary, a file
 * not yet begun) through `signal`; a second ends the process at once.
 */
export class StopSignals {
  private readonly controller = new AbortController();
  /** Which signal asked the command to stop, once one did. */
  received: NodeJS.Signals | undefined;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (this.received) process.exit(sig === 'SIGINT' ? 130 : 143);
    this.received = sig;
    this.controller.abort();
  };

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts listening for SIGINT and SIGTERM. */
  watch(): this {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return this;
  }

  /** Stops listening. */
  release(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  /** A StoppedError when a signal came, saying what `kept` (what survives the stop). */
  stopped(kept: string): StoppedError | undefined {
    return this.received ? new StoppedError(this.received, kept) : undefined;
  }
}

/**
 * A one-shot command that writes (ingest, export, purge, erase): waits for the write lock and
 * opens the store (jobs/store.ts), watches SIGINT and SIGTERM, runs `work`, and releases
 * both in reverse order whatever happens.
 */
export async function withStore<T>(
  config: Config,
  work: (store: SqliteStore, stop: StopSignals) => Promise<T>,
): Promise<T> {
  const { openStore } = await import('../jobs/index.js');
  const handle = await openStore(config);
  const stop = new StopSignals().watch();
  try {
    return await work(handle.store, stop);
  } finally {
    stop.release();
    handle.close();
  }
}
