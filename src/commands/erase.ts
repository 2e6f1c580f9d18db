import { addressKey } from '../core/address.js';
import { AppError } from '../errors.js';
import type { ErasureResult } from '../io/store/index.js';
import type { ErasureFinish } from '../pipeline/erase-run.js';
import { defineCommand } from './define.js';
import {
  commandContext,
  printResult,
  withStore,
  type CommonOptions,
  type Output,
} from './context.js';

const usage = (message: string) => new AppError('USAGE', message, { exitCode: 2 });

/**
 * `erase [--address ADDR] [--dry-run]`: GDPR art. 17 erasure of one customer from the store,
 * the raw ledger, quarantined contents and every CSV day file that held the address, then a
 * check of every byte of the store's files and of export.dir. Without --address, finishes
 * an erasure that was interrupted. The address is never printed, logged or recorded: the
 * erasure is recorded by counts and days.
 */
async function eraseCommand(
  opts: CommonOptions & { address?: string; dryRun?: boolean },
  output: Output,
): Promise<number> {
  const { eraseAndFinish } = await import('../jobs/index.js');
  const key = opts.address === undefined ? undefined : addressKey(opts.address);
  if (key === '') throw usage('erase --address needs the customer address to erase');
  const dryRun = opts.dryRun === true;
  if (dryRun && key === undefined) throw usage('erase --dry-run needs --address ADDR');
  const { config, log } = commandContext(opts, output, false);
  return withStore(config, async (store, stop) => {
    const pending = store.pendingErasure();
    if (key === undefined && !pending)
      throw usage(
        'erase needs --address ADDR (the customer address to erase); no interrupted erasure is pending',
      );
    if (dryRun && key !== undefined) {
      const erased = store.eraseAddress(key, true, Date.now());
      if (opts.json) output.out(JSON.stringify({ dryRun, ...erased, pending }, null, 2));
      else {
        output.out(`erase (dry run: nothing changed): would remove ${counts(erased)}`);
        output.out(`  days to rewrite: ${erased.days.join(', ') || 'none'}`);
        if (pending)
          output.out(
            `  an interrupted erasure is pending (${pending.days.length} day(s) to rewrite${pending.vacuum || pending.checkpoint ? ', the store to rebuild' : ''}): the erase finishes it first`,
          );
      }
      return 0;
    }
    const { erased, finish } = await eraseAndFinish(config, store, log, key, stop.signal);
    const [first, ...more] = finish.problems;
    const failure =
      stop.stopped(
        'the erasure is journalled in the store; `webio-reports erase` (or the next ingest, export, purge or run) finishes it',
      ) ??
      (first !== undefined
        ? new AppError(
            'ERASE_INCOMPLETE',
            `erasure not finished: ${first}${more.length ? ` (and ${more.length} more problem(s), listed above)` : ''}`,
          )
        : undefined);
    return printResult(
      opts,
      output,
      jsonResult(erased, finish),
      () => formatErasure(erased, finish, key === undefined),
      failure,
    );
  });
}

const counts = (e: ErasureResult) =>
  `${e.counts.sends} sends, ${e.counts.inbound} inbound, ${e.counts.statuses} statuses, ${e.counts.rawEvents} ledger events, the contents of ${e.counts.quarantined} quarantined files`;

function jsonResult(erased: ErasureResult | undefined, f: ErasureFinish): object {
  return {
    dryRun: false,
    counts: erased?.counts ?? null,
    days: erased?.days ?? [],
    pendingFinished: Math.max(0, f.erasures - (erased ? 1 : 0)),
    daysRewritten: f.daysRewritten,
    filesRewritten: f.filesRewritten,
    // Days before the store's retention horizon cannot be written again from the store.
    daysNotRewritten: f.daysNotRewritten,
    exportFailures: f.exportFailures,
    leftoversRemoved: f.leftovers,
    compacted: f.compacted,
    vacuumed: f.vacuumed,
    check: f.check.done
      ? {
          files: f.check.files,
          bytes: f.check.bytes,
          left: f.check.left,
          explained: f.check.explained,
          otherMentions: f.check.otherMentions ?? null,
        }
      : { skipped: f.check.reason },
    problems: f.problems,
    warnings: f.warnings,
  };
}

function formatErasure(
  erased: ErasureResult | undefined,
  f: ErasureFinish,
  finishingOnly: boolean,
): string {
  const lines: string[] = [];
  if (erased) lines.push(`erase: removed ${counts(erased)}`);
  const earlier = f.erasures - (erased ? 1 : 0);
  if (earlier > 0)
    lines.push(
      `${erased ? '  ' : 'erase: '}${f.problems.length ? 'worked on' : 'finished'} ${earlier} interrupted erasure(s)`,
    );
  lines.push(
    `  days rewritten: ${f.daysRewritten.join(', ') || 'none'}` +
      (f.daysRewritten.length ? ` (${f.filesRewritten} files)` : ''),
  );
  if (f.daysNotRewritten.length)
    lines.push(
      `  NOT rewritten (their events left the store by retention.storeDays): ${f.daysNotRewritten.join(', ')}`,
    );
  if (f.leftovers)
    lines.push(`  removed ${f.leftovers} temp file(s) left by an interrupted export`);
  if (f.compacted)
    lines.push(
      f.vacuumed
        ? '  store rebuilt (VACUUM), WAL checkpointed and emptied'
        : '  WAL checkpointed and emptied (the store was rebuilt before)',
    );
  if (f.check.done) {
    const { left, explained } = f.check;
    lines.push(
      `  checked every byte of ${f.check.files} files (the store's and export.dir's, ${f.check.bytes} bytes): ` +
        (left.length + explained.length === 0
          ? 'the address is in none'
          : `the address is in ${left.length + explained.length}` +
            (explained.length ? ` (${explained.length} because of the rows in the warning)` : '')),
    );
    for (const found of left) lines.push(`    still holds it: ${found.file}`);
  } else if (finishingOnly)
    lines.push(
      '  byte check skipped: give `--address ADDR` to read every file of the store and export.dir for it',
    );
  else lines.push(`  byte check skipped: ${f.check.reason}`);
  for (const w of f.warnings) lines.push(`  WARNING: ${w}`);
  for (const p of f.problems) lines.push(`  NOT DONE: ${p}`);
  lines.push(
    '  the original webhook files on the SFTP server (processedDir, errorDir) and backups made before are not changed: delete the customer there if they must go too',
  );
  return lines.join('\n');
}

export const command = defineCommand({
  name: 'erase',
  summary: 'erase a customer (GDPR): their events, ledger, quarantined contents, and CSV days',
  options: [
    {
      flags: '--address <address>',
      description:
        'the customer address (digits compared; + or 00 ignored); without it, finishes an interrupted erasure',
    },
    { flags: '--dry-run', description: 'say what would be erased, change nothing' },
  ],
  action: eraseCommand,
});
