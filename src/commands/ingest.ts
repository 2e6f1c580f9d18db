import { ingestOnce, openStore } from '../jobs.js';
import { AppError } from '../errors.js';
import { commandContext, type CommonOptions, type Output } from './context.js';
import { formatIngestSummary } from './format.js';

/** `ingest`: one poll cycle now. */
export async function ingestCommand(opts: CommonOptions, output: Output): Promise<number> {
  const { config, log } = commandContext(opts);
  const handle = await openStore(config);
  try {
    const summary = await ingestOnce(config, handle.store, log);
    output.out(opts.json ? JSON.stringify(summary, null, 2) : formatIngestSummary(summary));
    if (summary.stoppedEarly)
      throw new AppError(
        'INGEST_INCOMPLETE',
        `ingest stopped early: ${summary.stoppedEarly}; committed work is kept and the next poll resumes`,
      );
    return 0;
  } finally {
    handle.close();
  }
}
