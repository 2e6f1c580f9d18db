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
  destination: 'stdout' | 'stderr' | LogLines,
  format: 'json' | 'text' = 'json',
): Logger {
  let dest: DestinationStream;
  if (typeof destination !== 'string') dest = lineDestination(destination, format);
  else {
    const stream = fdStream(destination === 'stdout' ? 1 : 2);
    dest = format === 'text' ? textDestination(stream) : stream;
  }
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

/** Where log lines go instead of a descriptor: one call per line, without its newline. */
export type LogLines = { line(text: string): void };

/** Log records as lines for `sink`, readable ones in text format. */
function lineDestination(sink: LogLines, format: 'json' | 'text'): DestinationStream {
  return {
    write: (record: string) =>
      sink.line(format === 'text' ? formatLogLine(record) : record.trimEnd()),
  };
}

/** Log bytes held while stdout or stderr does not take them; beyond it, lines are dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

type FdStream = ReturnType<typeof pino.destination>;

/**
 * An asynchronous writer on a descriptor, so that logging never blocks the process and
 * never throws: a full pipe (a log reader that stopped reading) holds at most
 * MAX_BUFFERED_BYTES and then drops lines; a closed one (`run | head`, a pm2 daemon gone)
 * turns writes into nothing (pino's own handling of EPIPE). The service keeps working, and
 * still stops at once on SIGTERM.
 */
function fdStream(fd: number): FdStream {
  return pino.destination({ dest: fd, sync: false, minLength: 0, maxLength: MAX_BUFFERED_BYTES });
}

/** Readable lines on the same kind of writer. */
function textDestination(stream: FdStream): DestinationStream {
  return {
    write: (line: string) => stream.write(`${formatLogLine(line)}\n`),
    // What pino asks of its destination to flush, passed on.
    flush: (cb?: (err?: Error) => void) => stream.flush(cb),
    flushSync: () => stream.flushSync(),
  } as DestinationStream;
}

/**
 * Flushes the log, waiting at most `timeoutMs`: a stalled or closed stdout never keeps a
 * process from exiting.
 */
export function flushLog(log: Logger, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    try {
      log.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
