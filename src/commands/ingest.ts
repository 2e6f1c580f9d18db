import { counted } from '../core/plural.js';
import { AppError } from '../errors.js';
import { defineCommand } from './define.js';
import {
  commandContext,
  printResult,
  withStore,
  type CommonOptions,
  type Output,
} from './context.js';
import { formatIngestSummary } from './format.js';

/** `ingest`: one poll cycle now. */
async function ingestCommand(opts: CommonOptions, output: Output): Promise<number> {
  const { finishPendingErasure, ingestOnce } = await import('../jobs/index.js');
  const { config, log } = commandContext(opts, output);
  return withStore(config, async (store, stop) => {
    await finishPendingErasure(config, store, log);
    const summary = await ingestOnce(config, store, log, stop.signal);
    const [first] = summary.finishErrors;
    const failure =
      stop.stopped(
        `${counted(summary.fetched, 'file')} stored and finished; the rest stay on the server for the next poll`,
      ) ??
      (summary.stoppedEarly
        ? new AppError(
            'INGEST_INCOMPLETE',
            `ingest stopped early: ${summary.stoppedEarly}; committed work is kept and the next poll resumes` +
              (summary.notFetched ? ` (${counted(summary.notFetched, 'file')} not fetched)` : ''),
          )
        : first
          ? new AppError(
              'FINISH_FAILED',
              `${counted(summary.finishErrors.length, 'file')} stored but not finished on the server (first: ${first.file}: ${first.error}); their events are safe, and every poll tries again without reading them`,
            )
          : undefined);
    return printResult(opts, output, summary, () => formatIngestSummary(summary), failure);
  });
}

export const command = defineCommand({
  name: 'ingest',
  summary: 'run one poll cycle now: list, fetch, parse, store, move; prints what happened',
  action: ingestCommand,
});
