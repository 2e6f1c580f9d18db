import { addressKey } from '../core/address.js';
import { AppError } from '../errors.js';
import { exportOnce, openStore } from '../jobs.js';
import { commandContext, type CommonOptions, type Output } from './context.js';

/**
 * `erase --address ADDR [--dry-run]`: GDPR art. 17 erasure of one customer from the store, the
 * raw ledger, quarantined contents and every CSV day file that held the address. The address
 * is never printed, logged or recorded: the erasure is recorded by counts and days.
 */
export async function eraseCommand(
  opts: CommonOptions & { address?: string; dryRun?: boolean },
  output: Output,
): Promise<number> {
  const key = addressKey(opts.address ?? '');
  if (key === '')
    throw new AppError('USAGE', 'erase needs --address ADDR (the customer address to erase)', {
      exitCode: 2,
    });
  const { config, log } = commandContext(opts, false);
  const handle = await openStore(config);
  try {
    const dryRun = opts.dryRun === true;
    const erased = handle.store.eraseAddress(key, dryRun, Date.now());
    const exported =
      dryRun || erased.days.length === 0
        ? undefined
        : await exportOnce(config, handle.store, log, erased.days);
    const c = erased.counts;
    const result = {
      dryRun,
      counts: c,
      days: erased.days,
      filesRewritten: exported?.files.filter((f) => !f.unchanged).length ?? 0,
      // Days before the store's retention horizon cannot be written again from the store.
      daysNotRewritten: exported?.skipped ?? [],
      exportFailures: exported?.failures ?? [],
    };
    if (opts.json) output.out(JSON.stringify(result, null, 2));
    else {
      const verb = dryRun ? 'would remove' : 'removed';
      output.out(
        `erase${dryRun ? ' (dry run: nothing changed)' : ''}: ${verb} ${c.sends} sends, ${c.inbound} inbound, ${c.statuses} statuses, ${c.rawEvents} ledger events, the contents of ${c.quarantined} quarantined files`,
      );
      output.out(
        `  days ${dryRun ? 'to rewrite' : 'rewritten'}: ${erased.days.join(', ') || 'none'}` +
          (exported ? ` (${result.filesRewritten} files)` : ''),
      );
      if (result.daysNotRewritten.length)
        output.out(
          `  NOT rewritten (their events left the store by retention.storeDays; remove the address from these files by hand): ${result.daysNotRewritten.join(', ')}`,
        );
      if (!dryRun)
        output.out(
          '  the original webhook files on the SFTP server (processedDir, errorDir) are not changed: delete them there if they must go too',
        );
    }
    if (result.exportFailures.length)
      throw new AppError(
        'EXPORT_FAILED',
        `the store is erased, but ${result.exportFailures.length} CSV file(s) could not be rewritten (first: ${result.exportFailures[0]?.path}: ${result.exportFailures[0]?.error}); run \`webio-reports export\` again`,
      );
    return 0;
  } finally {
    handle.close();
  }
}
