// Runs POLLS polls in one process, as the service does, and prints one JSON line per poll
// with what it fetched and the process's peak RSS so far:
//   node poll-loop.mjs CONFIG POLLS
import { loadConfig } from '../../dist/config/load.js';
import { createLogger } from '../../dist/io/logger.js';
import { ingestOnce, openStore } from '../../dist/jobs/index.js';

const [configFile, polls] = process.argv.slice(2);
const config = loadConfig(configFile);
const handle = await openStore(config);
const log = createLogger('error', 'stderr');
for (let i = 0; i < Number(polls); i++) {
  const s = await ingestOnce(config, handle.store, log);
  console.log(
    JSON.stringify({
      poll: i + 1,
      listed: s.listed,
      fetched: s.fetched,
      deferred: s.deferred,
      seconds: s.seconds,
      rssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}
handle.close();
