import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { AppError, describeError } from './errors.js';
import { processOutput, type Output } from './commands/context.js';
import { COMMANDS } from './commands/index.js';
import { printableLines } from './core/printable.js';

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
    for (const o of def.options ?? []) {
      const option = new Option(o.flags, o.description);
      cmd = cmd.addOption(option);
      // Heard as the option is parsed, before commander counts what is left as arguments.
      if (option.required)
        cmd.on(`option:${option.name()}`, (value: unknown) =>
          def.checkValue(option.long ?? o.flags, value),
        );
    }
    cmd.action(async (opts: Record<string, unknown>) => {
      code = await def.run(opts, output);
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
