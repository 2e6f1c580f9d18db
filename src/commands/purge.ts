import { AppError } from '../errors.js';
import { openStore, purgeOnce } from '../jobs.js';
import { commandContext, type CommonOptions, type Output } from './context.js';
import { formatPurgeSummary } from './format.js';

/** `purge [--dry-run]`: applies retention now, and prints what it removed (or would). */
export async function purgeCommand(
  opts: CommonOptions & { dryRun?: boolean },
  output: Output,
): Promise<number> {
  const { config, log } = commandContext(opts);
  const handle = await openStore(config);
  try {
    const summary = await purgeOnce(config, handle.store, log, opts.dryRun === true);
    output.out(opts.json ? JSON.stringify(summary, null, 2) : formatPurgeSummary(summary));
    if (summary.failures.length)
      throw new AppError(
        'PURGE_INCOMPLETE',
        `${summary.failures.length} removal(s) failed (first: ${summary.failures[0]}); the rest was applied`,
      );
    return 0;
  } finally {
    handle.close();
  }
}
