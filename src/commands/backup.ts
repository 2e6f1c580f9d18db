import { loadConfig } from '../config/load.js';
import { AppError } from '../errors.js';
import { StopSignals, type CommonOptions, type Output } from './context.js';
import { defineCommand } from './define.js';

/**
 * `backup --to FILE`: a consistent copy of the store, safe while `run` is ingesting (see
 * jobs/backup.ts). A signal stops it with no copy written and FILE as it was.
 */
async function backupCommand(
  opts: CommonOptions & { to?: string },
  output: Output,
): Promise<number> {
  const { backupStore, planBackup } = await import('../jobs/index.js');
  if (!opts.to) throw new AppError('USAGE', 'backup needs --to FILE', { exitCode: 2 });
  const config = loadConfig(opts.config, process.env, { needsSftp: false });
  const plan = planBackup(config, opts.to);
  const stop = new StopSignals().watch();
  let done;
  try {
    done = await backupStore(plan, stop.signal);
  } catch (err) {
    throw stop.stopped(`no copy was written; ${plan.target} is as it was`) ?? err;
  } finally {
    stop.release();
  }
  const { source, target, bytes, seconds } = done;
  output.out(
    opts.json
      ? JSON.stringify({ source, target, bytes, seconds })
      : `backup: ${source} → ${target} (${bytes} bytes, ${seconds.toFixed(2)} s); restore by stopping the service and copying it over ${source} (remove ${source}-wal and ${source}-shm first)`,
  );
  return 0;
}

export const command = defineCommand({
  name: 'backup',
  summary: 'write a consistent copy of the store (safe while the service runs)',
  options: [{ flags: '--to <file>', description: 'where to write the copy (replaced atomically)' }],
  action: backupCommand,
});
