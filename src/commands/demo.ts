import fs from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../config/load.js';
import { AppError } from '../errors.js';
import { createLogger } from '../io/logger.js';
import type { ExportSummary } from '../pipeline/export/run.js';
import { REPORTS } from '../reports/index.js';
import { logFormat, type CommonOptions, type Output } from './context.js';
import { defineCommand } from './define.js';
import { formatExportSummary, formatIngestSummary } from './format.js';

const MARKER = '.webio-reports-demo';

function prepareDir(dir: string): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new AppError('DEMO_DIR', `--dir ${dir} is not a folder; choose a new or empty folder`, {
      exitCode: 2,
    });
  }
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    if (!fs.existsSync(path.join(dir, MARKER))) {
      throw new AppError(
        'DEMO_DIR',
        `${dir} is not empty and was not made by demo; choose another --dir`,
        { exitCode: 2 },
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MARKER), 'made by `webio-reports demo`; safe to delete\n');
}

/**
 * `demo`: end to end with no setup. Seeds an embedded SFTP server on loopback with sample
 * Webio files, pins its host key like any server's, ingests and exports into a fresh folder.
 */
async function demoCommand(
  opts: CommonOptions & { dir?: string; serve?: boolean; every?: string; metricsPort?: string },
  output: Output,
): Promise<number> {
  const { exportOnce, ingestOnce, openStore } = await import('../jobs/index.js');
  const { startEmbeddedSftpServer } = await import('../demo/embedded-sftp-server.js');
  const { generateSampleFiles } = await import('../demo/sample-files.js');
  const dir = path.resolve(opts.dir ?? path.join('data', 'demo'));
  prepareDir(dir);
  if (opts.serve) return serveDemo(dir, opts, output);
  const serverRoot = path.join(dir, 'sftp-server');
  const hooks = path.join(serverRoot, 'webhooks');
  fs.mkdirSync(hooks, { recursive: true });
  const now = Date.now();
  const files = generateSampleFiles({ files: 300, nowMs: now - 120_000, days: 3, seed: 7 });
  for (const f of files) {
    const p = path.join(hooks, f.name);
    fs.writeFileSync(p, f.content);
    const t = new Date(Math.min(f.mtimeMs, now - 60_000));
    fs.utimesSync(p, t, t);
  }

  const server = await startEmbeddedSftpServer(serverRoot);
  try {
    const raw = {
      sftp: {
        host: server.host,
        port: server.port,
        username: server.username,
        password: server.password,
        hostKeyFingerprint: server.fingerprint,
        remoteDir: '/webhooks',
        parseGraceSeconds: 60,
      },
      source: { timezone: 'UTC' },
      database: { path: path.join(dir, 'webio.sqlite') },
      // Both formats, so the demo shows the typed Parquet files beside the CSVs.
      export: {
        dir: path.join(dir, 'exports'),
        timezone: 'Europe/London',
        formats: ['csv', 'parquet'],
      },
    };
    const config = validateConfig(raw, {}, 'demo');
    // The server and its password live only as long as this command; keep the rest for `status`.
    const saved = { ...raw, sftp: { ...raw.sftp, password: undefined } };
    fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(saved, null, 2)}\n`);
    const log = createLogger(
      opts.verbose ? 'info' : 'error',
      output.log ?? 'stderr',
      logFormat(opts),
    );
    const handle = await openStore(config);
    try {
      if (!opts.json) {
        output.out(
          `demo: embedded SFTP server on ${server.host}:${server.port}, host key ${server.fingerprint} (pinned)`,
        );
        output.out(`demo: ${files.length} sample Webio files in ${hooks}\n`);
      }
      const ingest = await ingestOnce(config, handle.store, log);
      const exported = await exportOnce(config, handle.store, log);
      if (opts.json) {
        output.out(JSON.stringify({ dir, ingest, export: exported }, null, 2));
      } else {
        output.out(formatIngestSummary(ingest));
        output.out('');
        output.out(formatExportSummary(exported));
        output.out('');
        output.out(`demo: the store is ${config.database.path}`);
        output.out(
          `demo: the CSV files are in ${config.export.dir}/{${REPORTS.map((r) => r.name).join(',')}}/`,
        );
        output.out(
          `demo: the Parquet files are in ${config.export.dir}/parquet/{${REPORTS.map((r) => r.name).join(',')}}/dt=YYYY-MM-DD/ (Hive partitions; e.g. DuckDB: SELECT * FROM read_parquet('${config.export.dir}/parquet/sends/*/*.parquet', hive_partitioning = true))`,
        );
        output.out(
          `demo: the column types are in ${path.join(config.export.dir, 'datapackage.json')}, the files and checksums in ${path.join(config.export.dir, 'manifest.json')}`,
        );
        output.out(summaryPreview(exported));
        output.out(
          `demo: processed files are in ${path.join(hooks, 'processed')}, quarantined ones in ${path.join(hooks, 'error')}`,
        );
        output.out(
          `demo: see the counts with: npx webio-reports status --config ${path.join(dir, 'config.json')}`,
        );
      }
    } finally {
      handle.close();
    }
  } finally {
    await server.close();
  }
  return 0;
}

/**
 * `demo --serve`: keeps the embedded SFTP server up, drops new sample webhook files into it
 * every few seconds, and writes a ready config (host key pinned, metrics on) for `run` or
 * pm2, so a newcomer can watch the service work without a Webio account. Ctrl-C stops it.
 */
async function serveDemo(
  dir: string,
  opts: { every?: string; metricsPort?: string; json?: boolean },
  output: Output,
): Promise<number> {
  const every = Number(opts.every ?? 5);
  const metricsPort = Number(opts.metricsPort ?? 9464);
  if (!Number.isFinite(every) || every <= 0)
    throw new AppError('USAGE', `--every ${opts.every}: expected seconds > 0`, { exitCode: 2 });
  if (!Number.isInteger(metricsPort) || metricsPort < 1 || metricsPort > 65535)
    throw new AppError('USAGE', `--metrics-port ${opts.metricsPort}: expected a port`, {
      exitCode: 2,
    });
  const { startEmbeddedSftpServer } = await import('../demo/embedded-sftp-server.js');
  const { generateSampleFiles } = await import('../demo/sample-files.js');
  const serverRoot = path.join(dir, 'sftp-server');
  const hooks = path.join(serverRoot, 'webhooks');
  fs.mkdirSync(hooks, { recursive: true });
  const server = await startEmbeddedSftpServer(serverRoot);
  const configFile = path.join(dir, 'config.json');
  const config = {
    sftp: {
      host: server.host,
      port: server.port,
      username: server.username,
      // A throwaway password for a server that lives as long as this command; the file is 0600.
      password: server.password,
      hostKeyFingerprint: server.fingerprint,
      remoteDir: '/webhooks',
      minFileAgeSeconds: 1,
    },
    source: { timezone: 'UTC' },
    database: { path: path.join(dir, 'webio.sqlite') },
    export: {
      dir: path.join(dir, 'exports'),
      timezone: 'Europe/London',
      formats: ['csv', 'parquet'],
    },
    schedule: { poll: '*/10 * * * * *', export: '* * * * *' },
    metrics: { port: metricsPort },
  };
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(configFile, 0o600);

  let seq = 0;
  const drop = () => {
    const now = Date.now();
    const files = generateSampleFiles({
      files: 3,
      nowMs: now,
      days: 0.001,
      seed: ++seq,
      extras: false,
      duplicateRate: 0,
      firstId: 1_000_000 + seq * 100,
    });
    for (const f of files) {
      const name = f.name.replace(/\.json$/, `-${now}-${seq}.json`);
      fs.writeFileSync(path.join(hooks, name), f.content);
    }
  };
  // A first batch with every case in it (late status, other events, a broken file).
  // They have been waiting a minute, so the first poll takes them (past minFileAgeSeconds).
  const waiting = new Date(Date.now() - 60_000);
  for (const f of generateSampleFiles({
    files: 60,
    nowMs: Date.now() - 120_000,
    days: 1,
    seed: 7,
  })) {
    fs.writeFileSync(path.join(hooks, f.name), f.content);
    fs.utimesSync(path.join(hooks, f.name), waiting, waiting);
  }
  const timer = setInterval(drop, every * 1000);

  const info = {
    config: configFile,
    sftp: `${server.host}:${server.port}`,
    hostKey: server.fingerprint,
    webhooks: hooks,
    metrics: `http://127.0.0.1:${metricsPort}/metrics`,
    run: `npx webio-reports run --config ${configFile}`,
    pm2: `WEBIO_REPORTS_CONFIG=${configFile} npx pm2 start ecosystem.config.js`,
  };
  output.out(
    opts.json
      ? JSON.stringify(info)
      : [
          `demo --serve: embedded SFTP server on ${info.sftp}, host key ${info.hostKey}`,
          `  new sample webhook files every ${every} s into ${hooks}`,
          `  a ready config: ${configFile}`,
          '',
          'In another terminal, run the service on it:',
          `  ${info.run}`,
          'or under pm2:',
          `  ${info.pm2}`,
          `then watch it: npx webio-reports status --config ${configFile}; ${info.metrics}; /healthz`,
          '',
          'Ctrl-C stops the server.',
        ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(timer);
  await server.close();
  if (!opts.json) output.out('demo --serve: stopped');
  return 0;
}

/** The busiest day's daily-summary as an aligned table, so the demo shows what the KPIs look like. */
function summaryPreview(exported: ExportSummary): string {
  const busiest = exported.files
    .filter((f) => f.report === 'daily-summary' && f.format === 'csv')
    .sort((a, b) => b.rows - a.rows || b.day.localeCompare(a.day))[0];
  if (!busiest || busiest.rows === 0) return '';
  const text = fs.readFileSync(busiest.path, 'utf8').trimEnd();
  // A quoted cell (a channel name with a comma) would break the naive split: show it as is.
  if (text.includes('"')) return `\ndemo: daily-summary for ${busiest.day}:\n${text}\n`;
  const rows = text.split('\n').map((line) => line.split(','));
  const keep = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12]; // channel … replied: what fits a terminal
  const widths = keep.map((k) => Math.max(...rows.map((r) => (r[k] ?? '').length)));
  const table = rows.map((r) =>
    `  ${keep.map((k, i) => (r[k] ?? '').padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd(),
  );
  return `\ndemo: daily-summary for ${busiest.day} (${busiest.path}):\n${table.join('\n')}\n`;
}

export const command = defineCommand({
  name: 'demo',
  summary: 'end to end with no setup: embedded SFTP server with sample files, ingest, export',
  noConfig: true,
  options: [
    {
      flags: '--dir <folder>',
      description: 'where to put the demo store and CSV files (default: data/demo)',
    },
    {
      flags: '--serve',
      description:
        'keep the SFTP server up, drop new files every few seconds, and write a config for `run`',
    },
    {
      flags: '--every <seconds>',
      description: 'with --serve: seconds between new files (default: 5)',
    },
    {
      flags: '--metrics-port <port>',
      description: 'with --serve: metrics.port in the config (default: 9464)',
    },
  ],
  action: demoCommand,
});
