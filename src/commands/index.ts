import type { CliCommand } from './define.js';
import { command as backup } from './backup.js';
import { command as demo } from './demo.js';
import { command as doctor } from './doctor.js';
import { command as erase } from './erase.js';
import { command as exportCommand } from './export.js';
import { command as ingest } from './ingest.js';
import { command as purge } from './purge.js';
import { command as run } from './run.js';
import { command as status } from './status.js';

/** Every command, in the order `--help` lists them. A new command is added here and nowhere else. */
export const COMMANDS: readonly CliCommand[] = [
  ingest,
  exportCommand,
  run,
  status,
  doctor,
  purge,
  erase,
  backup,
  demo,
];
