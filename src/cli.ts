#!/usr/bin/env node
import { main } from './main.js';

const args = process.argv.slice(2);
const code = await main(args);
if (args[0] === 'run') {
  // The service has closed everything it opened; do not wait on stray handles.
  process.exit(code);
}
process.exitCode = code;
