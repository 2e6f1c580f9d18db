import type { Log } from '../../src/pipeline/ports.js';

/** One record a test log took: its level, message and fields. */
export type LogRecord = { level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields: object };

/**
 * A log that keeps what it is told, in memory, for tests to read back (and to keep quiet):
 * the one log of the test suite (pino's own tests capture the same way).
 */
export function memoryLog(): Log & {
  records: LogRecord[];
  /** The messages at a level, in order. */
  messages(level: LogRecord['level']): string[];
} {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord['level']) =>
    (fields: object, msg = ''): void => {
      records.push({ level, msg, fields });
    };
  return {
    records,
    messages: (level) => records.filter((r) => r.level === level).map((r) => r.msg),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
