import { AppError } from '../errors.js';
import type { CommonOptions, Output } from './context.js';

/** An option a command takes beyond the common ones, as commander reads it. */
export type OptionSpec = {
  /** `--date <YYYY-MM-DD>` takes a value; `--dry-run` is a switch. */
  flags: string;
  description: string;
};

/** What a command module says of itself: its name, its words for `--help`, its action. */
export type CommandSpec<O extends CommonOptions> = {
  name: string;
  summary: string;
  options?: readonly OptionSpec[];
  /** The command makes its own config (demo): no --config. */
  noConfig?: boolean;
  /**
   * Runs the command; returns its exit code. A module keeps its heavy imports (the store,
   * the SSH client) inside its action, so that `--help` loads none of them.
   */
  action(opts: O, output: Output): Promise<number>;
};

/** A command as the CLI lists it: options parsed by commander, not yet typed. */
export type CliCommand = Omit<CommandSpec<CommonOptions>, 'action'> & {
  run(parsed: Record<string, unknown>, output: Output): Promise<number>;
  /**
   * Called by the parser with the value of an option that takes one: refuses a value that is
   * a flag (`erase --address --config X` read "--config" as the address). No address, day,
   * file or number the commands take starts with a dash and a letter.
   */
  checkValue(flag: string, value: unknown): void;
};

/** Flags that every command takes (main.ts adds them; `--config` unless `noConfig`). */
export const COMMON_FLAGS = ['--json', '--verbose', '-v', '--log-format', '--help', '-h'] as const;

/** Declares a command; the CLI gives its action the options declared here. */
export function defineCommand<O extends CommonOptions>(spec: CommandSpec<O>): CliCommand {
  const flags = new Set<string>([
    ...COMMON_FLAGS,
    ...(spec.noConfig ? [] : ['--config']),
    ...(spec.options ?? []).flatMap((o) => o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-'))),
  ]);
  return {
    name: spec.name,
    summary: spec.summary,
    ...(spec.options ? { options: spec.options } : {}),
    ...(spec.noConfig ? { noConfig: true } : {}),
    checkValue(flag, value) {
      if (typeof value !== 'string' || !/^--?[a-z]/i.test(value)) return;
      const next = value.split('=')[0] ?? value;
      throw new AppError(
        'USAGE',
        `${spec.name} ${flag} needs a value, but the next argument ${flags.has(next) ? 'is the option' : 'looks like an option:'} ${value}`,
        { exitCode: 2 },
      );
    },
    // Commander built `parsed` from the options declared above: the shape the action
    // declares as O.
    run: (parsed, output) => spec.action(parsed as O, output),
  };
}
