import { AppError } from '../errors.js';
import { defineCommand } from './define.js';
import {
  commandContext,
  printResult,
  withStore,
  type CommonOptions,
  type Output,
} from './context.js';
import { formatPurgeSummary } from './format.js';

/** `purge [--dry-run]`: applies retention now, and prints what it removed (or would). */
async function purgeCommand(
  opts: CommonOptions & { dryRun?: boolean },
  output: Output,
): Promise<number> {
  const { finishPendingErasure, purgeOnce } = await import('../jobs/index.js');
  const { config, log } = commandContext(opts, output);
  return withStore(config, async (store, stop) => {
    if (opts.dryRun !== true) await finishPendingErasure(config, store, log);
    const summary = await purgeOnce(config, store, log, opts.dryRun === true, stop.signal);
    const failure =
      stop.stopped('what was removed is recorded; the rest is removed by the next purge') ??
      (summary.failures.length
        ? new AppError(
            'PURGE_INCOMPLETE',
            `${summary.failures.length} removal(s) failed (first: ${summary.failures[0]}); the rest was applied`,
          )
        : undefined);
    return printResult(opts, output, summary, () => formatPurgeSummary(summary), failure);
  });
}

export const command = defineCommand({
  name: 'purge',
  summary: 'apply retention now: old processed/error files, CSV day files, store events',
  options: [{ flags: '--dry-run', description: 'say what would be removed, remove nothing' }],
  action: purgeCommand,
});
