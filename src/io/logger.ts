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
): Logger {
  const dest =
    destination === 'stdout'
      ? pino.destination(1)
      : destination === 'stderr'
        ? pino.destination(2)
        : destination;
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
