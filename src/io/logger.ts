import fs from 'node:fs';
import { printable } from '../core/printable.js';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * pino JSON logs. The service logs to stdout (pm2 collects and rotates it); one-shot
 * commands log to stderr so that stdout carries only their summary. Secrets are redacted
 * wherever they might appear.
 */
export function createLogger(
  level: string,
  destination: 'stdout' | 'stderr' | DestinationStream,
  format: 'json' | 'text' = 'json',
): Logger {
  const fd = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : undefined;
  const dest =
    fd === undefined
      ? (destination as DestinationStream)
      : format === 'text'
        ? textDestination(fd)
        : pino.destination(fd);
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          'passphrase',
          '*.password',
          '*.passphrase',
          'sftp.password',
          'sftp.passphrase',
          'config.sftp.password',
          'config.sftp.passphrase',
        ],
        censor: '***',
      },
    },
    dest,
  );
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** One readable line per log record: `warn: message (key=value …)`, for a person at a terminal. */
export function formatLogLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const { level, msg } = rec;
  const fields = Object.entries(rec)
    .filter(([k]) => !['level', 'msg', 'time', 'pid', 'hostname'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const name = LEVELS[Number(level)] ?? String(level);
  return printable(`${name}: ${String(msg ?? '')}${fields ? ` (${fields})` : ''}`);
}

function textDestination(fd: number): DestinationStream {
  return {
    write(line: string) {
      fs.writeSync(fd, `${formatLogLine(line)}\n`);
    },
  };
}
