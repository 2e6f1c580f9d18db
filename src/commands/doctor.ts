import { redactConfig } from '../config/load.js';
import { commandContext, type CommonOptions, type Output } from './context.js';
import { defineCommand } from './define.js';

/**
 * `doctor`: checks the config, the server's host key against the pin, login, the folders
 * on the server and the local folders (jobs/doctor.ts), a line each as it goes.
 */
async function doctorCommand(opts: CommonOptions, output: Output): Promise<number> {
  const { doctorChecks } = await import('../jobs/index.js');
  const { config } = commandContext(opts, output, false);
  const checks = await doctorChecks(config, (c) => {
    if (!opts.json) output.out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  });
  const ok = checks.every((c) => c.ok);
  if (opts.json) output.out(JSON.stringify({ ok, checks, config: redactConfig(config) }, null, 2));
  // A problem of the config exits 2, as every other command does with it.
  return ok ? 0 : checks.some((c) => !c.ok && c.config) ? 2 : 1;
}

export const command = defineCommand({
  name: 'doctor',
  summary: "check config, connect, show the server's host key fingerprint, list the folder",
  action: doctorCommand,
});
