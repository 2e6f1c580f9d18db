#!/usr/bin/env node
import { main } from './main.js';

// A reader that went away (`status | head -1`) ends what is printed, not the command: the
// rest of its output is dropped and it finishes its work and exits with its own code.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = () => true;
  });
}

const args = process.argv.slice(2);
const code = await main(args);
if (args[0] === 'run') {
  // The service has closed everything it opened; do not wait on stray handles.
  process.exit(code);
}
process.exitCode = code;
