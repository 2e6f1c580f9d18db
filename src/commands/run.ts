import { loadConfig } from '../config/load.js';
import { createLogger, flushLog } from '../io/logger.js';
import type { CommonOptions, Output } from './context.js';
import { defineCommand } from './define.js';

/**
 * `run`: the long-running service pm2 starts. On SIGINT/SIGTERM it stops scheduling, lets the
 * current job reach a transaction boundary, closes SFTP and SQLite and exits 0; an
 * unexpected error ends it with 1, so that pm2 restarts it.
 */
async function runCommand(opts: CommonOptions, _output: Output): Promise<number> {
  const { startService } = await import('../service/service.js');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(opts.config);
  } catch (err) {
    // Under pm2 (wait_ready), say "ready" before exiting with the config error's code 2, so
    // pm2 sees the exit at once, finds 2 in stop_exit_codes and stops the app: no restart
    // loop, no 30 s wait for a ready signal that never comes.
    process.send?.('ready');
    throw err;
  }
  // The service's log is for pm2 and log shippers: JSON unless text is asked for.
  const log = createLogger(config.log.level, 'stdout', opts.logFormat ?? 'json');
  const service = await startService(config, log);
  const onSignal = (sig: NodeJS.Signals) => void service.stop(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('uncaughtException', (err) => void service.stop('uncaughtException', err));
  process.on('unhandledRejection', (err) => void service.stop('unhandledRejection', err));
  process.send?.('ready');
  const code = await service.done;
  await flushLog(log);
  return code;
}

export const command = defineCommand({
  name: 'run',
  summary: 'the long-running service: poll and export on their schedules (what pm2 runs)',
  action: runCommand,
});
