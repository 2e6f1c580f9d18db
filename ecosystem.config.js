// pm2 process file: `pm2 start ecosystem.config.js`. The service reads its config from
// WEBIO_REPORTS_CONFIG (default: config/default.json next to this file).
// This package is ESM; pm2 loads this file with require(), which Node >= 20.19 allows for
// ES modules, and reads the named export `apps`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const apps = [
  {
    name: 'webio-reports',
    script: path.join(here, 'dist', 'cli.js'),
    args: 'run',
    cwd: here,
    interpreter: 'node',
    // A smaller young generation: files packed with small events make short-lived objects by
    // the million, and V8's default semi-spaces let RSS grow by ~40 MB for 3 % of speed.
    node_args: '--max-semi-space-size=4',
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    // Exit code 2 is a bad config or bad usage: restarting cannot fix it, so pm2 stops the
    // app and `pm2 logs` shows the one-line reason instead of a restart loop.
    stop_exit_codes: [2],
    // The service sends 'ready' once the store is open and the schedules are set.
    wait_ready: true,
    listen_timeout: 30000,
    // Graceful shutdown waits for the current batch (service.shutdownTimeoutSeconds, 20 s).
    kill_timeout: 30000,
    max_memory_restart: '512M',
    exp_backoff_restart_delay: 1000,
    time: true,
    merge_logs: true,
    env: {
      NODE_ENV: 'production',
      WEBIO_REPORTS_CONFIG:
        process.env.WEBIO_REPORTS_CONFIG || path.join(here, 'config', 'default.json'),
    },
  },
];

export default { apps };
