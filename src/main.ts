import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { AppError, describeError } from './errors.js';
import { processOutput, type Output } from './commands/context.js';
import { printableLines } from './core/printable.js';

type Action = (opts: Record<string, unknown>, output: Output) => Promise<number>;

/** Lazily imports a command module so `--help` stays fast. */
const lazy =
  (load: () => Promise<Action>): Action =>
  async (opts, output) =>
    (await load())(opts, output);

const COMMANDS: {
  name: string;
  summary: string;
  action: Action;
  extra?: (c: Command) => Command;
  /** The command makes its own config (demo): no --config. */
  noConfig?: boolean;
}[] = [
  {
    name: 'ingest',
    summary: 'run one poll cycle now: list, fetch, parse, store, move; prints what happened',
    action: lazy(async () => (await import('./commands/ingest.js')).ingestCommand as Action),
  },
  {
    name: 'export',
    summary: 'write the daily CSV files (default: every changed day, plus yesterday)',
    action: lazy(async () => (await import('./commands/export.js')).exportCommand as Action),
    extra: (c) =>
      c
        .option('--date <YYYY-MM-DD>', 'export this one day')
        .option('--from <YYYY-MM-DD>', 'first day of a range (with --to)')
        .option('--to <YYYY-MM-DD>', 'last day of a range, inclusive'),
  },
  {
    name: 'run',
    summary: 'the long-running service: poll and export on their schedules (what pm2 runs)',
    action: lazy(async () => (await import('./commands/run.js')).runCommand as Action),
  },
  {
    name: 'status',
    summary: 'counts per type and day, last poll/export and their outcome, quarantine, warnings',
    action: lazy(async () => (await import('./commands/status.js')).statusCommand as Action),
  },
  {
    name: 'doctor',
    summary: "check config, connect, show the server's host key fingerprint, list the folder",
    action: lazy(async () => (await import('./commands/doctor.js')).doctorCommand as Action),
  },
  {
    name: 'purge',
    summary: 'apply retention now: old processed/error files, CSV day files, store events',
    action: lazy(async () => (await import('./commands/purge.js')).purgeCommand as Action),
    extra: (c) => c.option('--dry-run', 'say what would be removed, remove nothing'),
  },
  {
    name: 'erase',
    summary: 'erase a customer (GDPR): their events, ledger, quarantined contents, and CSV days',
    action: lazy(async () => (await import('./commands/erase.js')).eraseCommand as Action),
    extra: (c) =>
      c
        .option(
          '--address <address>',
          'the customer address (digits compared; + or 00 ignored); without it, finishes an interrupted erasure',
        )
        .option('--dry-run', 'say what would be erased, change nothing'),
  },
  {
    name: 'backup',
    summary: 'write a consistent copy of the store (safe while the service runs)',
    action: lazy(async () => (await import('./commands/backup.js')).backupCommand as Action),
    extra: (c) => c.option('--to <file>', 'where to write the copy (replaced atomically)'),
  },
  {
    name: 'demo',
    summary: 'end to end with no setup: embedded SFTP server with sample files, ingest, export',
    action: lazy(async () => (await import('./commands/demo.js')).demoCommand as Action),
    noConfig: true,
    extra: (c) =>
      c
        .option('--dir <folder>', 'where to put the demo store and CSV files (default: data/demo)')
        .option(
          '--serve',
          'keep the SFTP server up, drop new files every few seconds, and write a config for `run`',
        )
        .option('--every <seconds>', 'with --serve: seconds between new files (default: 5)')
        .option(
          '--metrics-port <port>',
          'with --serve: metrics.port in the config (default: 9464)',
        ),
  },
];

/** argv → command → exit code. Known errors print one line (a list for config) and no stack. */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  const { version } = JSON.parse(
    fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  const program = new Command('webio-reports')
    .version(version)
    .description('Webio SFTP webhook files → deduplicated SQLite store → daily CSV reports')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => output.out(s.trimEnd()),
      writeErr: (s) => output.err(s.trimEnd()),
    });
  let code = 0;
  for (const def of COMMANDS) {
    let cmd = program.command(def.name).description(def.summary);
    if (!def.noConfig)
      cmd = cmd.addOption(
        new Option(
          '--config <file>',
          'config file (default: $WEBIO_REPORTS_CONFIG, else config/default.json)',
        ),
      );
    cmd = cmd
      .option('--json', 'print machine-readable JSON (also for a failure: {"ok":false,"error":…})')
      .option('-v, --verbose', 'log progress to stderr')
      .addOption(
        new Option(
          '--log-format <format>',
          'log lines as text or JSON (default: text, JSON under pm2)',
        ).choices(['text', 'json']),
      );
    if (def.extra) cmd = def.extra(cmd);
    cmd.action(async (opts: Record<string, unknown>) => {
      code = await def.action(opts, output);
    });
  }
  if (argv.length === 0) {
    // No command is bad usage: say what there is, and exit 2 as any usage error does.
    output.err(program.helpInformation().trimEnd());
    return 2;
  }
  const json = argv.includes('--json');
  const jsonError = (codeName: string, message: string) => {
    if (json) output.out(JSON.stringify({ ok: false, error: { code: codeName, message } }));
  };
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return 0;
      jsonError('USAGE', err.message);
      return 2;
    }
    if (err instanceof AppError) {
      output.err(printableLines(`webio-reports: ${err.message}`));
      if (!err.reported) jsonError(err.code, err.message);
      return err.exitCode;
    }
    output.err(printableLines(`webio-reports: unexpected error: ${describeError(err)}`));
    jsonError('UNEXPECTED', describeError(err));
    if (process.env.WEBIO_REPORTS_DEBUG) output.err((err as Error).stack ?? '');
    return 1;
  }
}
