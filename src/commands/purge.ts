import { AppError } from '../errors.js';
import { finishPendingErasure, openStore, purgeOnce } from '../jobs/index.js';
import {
  StopSignals,
  commandContext,
  printResult,
  type CommonOptions,
  type Output,
} from './context.js';
import { formatPurgeSummary } from './format.js';

/** `purge [--dry-run]`: applies retention now, and prints what it removed (or would). */
export async function purgeCommand(
  opts: CommonOptions & { dryRun?: boolean },
  output: Output,
): Promise<number> {
  const { config, log } = commandContext(opts);
  const handle = await openStore(config);
  const stop = new StopSignals().watch();
  try {
    if (opts.dryRun !== true) await finishPendingErasure(config, handle.store, log);
    const summary = await purgeOnce(config, handle.store, log, opts.dryRun === true, stop.signal);
    const failure =
      stop.stopped('what was removed is recorded; the rest is removed by the next purge') ??
      (summary.failures.length
        ? new AppError(
            'PURGE_INCOMPLETE',
            `${summary.failures.length} removal(s) failed (first: ${summary.failures[0]}); the rest was applied`,
          )
        : undefined);
    return printResult(opts, output, summary, () => formatPurgeSummary(summary), failure);
  } finally {
    stop.release();
    handle.close();
  }
}
