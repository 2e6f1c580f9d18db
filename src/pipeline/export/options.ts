import type { Config } from '../../config/schema.js';
import type { StatusClasses } from '../../core/outcomes.js';
import { mergeLabels } from '../../core/status-labels.js';
import type { ExportFormat, ReportDefinition } from '../../reports/index.js';

/** How an export writes its files: where, in which zone and formats, by which cell rules. */
export type ExportOptions = {
  dir: string;
  bom: boolean;
  timeZone: string;
  labels: Readonly<Record<string, string>>;
  escapeFormulas: boolean;
  classes: StatusClasses;
  optOutWords: readonly string[];
  /** How customer addresses are written (counts always use the real ones). */
  addressMode?: 'plain' | 'hash' | 'mask';
  /** The HMAC key for addressMode "hash". */
  hashKey?: string | undefined;
  /**
   * Rows handed to csv-stringify at a time (default 50). A page and what csv-stringify makes
   * of it are short-lived: a small page is still young when it dies, so the garbage collector
   * frees it without copying it (with 250 rows, a third of a report thread's time went to
   * collecting).
   */
  pageSize?: number;
  /**
   * CSV text gathered before it is passed on to be written (default 8 Ki UTF-16 code units;
   * a chunk ends after the page that reaches it): fewer, larger writes and messages between
   * threads, while memory stays bounded whatever a day holds.
   */
  chunkChars?: number;
  /** Which reports to write (default: all). */
  reports?: readonly ReportDefinition[];
  /** The formats written (`export.formats`, default CSV only); CSV always comes first. */
  formats?: readonly ExportFormat[];
};

/** The formats of an export, CSV first, each once. */
export function exportFormats(opts: Pick<ExportOptions, 'formats'>): ExportFormat[] {
  const formats = opts.formats ?? ['csv'];
  return formats.includes('parquet') ? ['csv', 'parquet'] : ['csv'];
}

/**
 * The export's options as the config sets them: the one place a Config becomes
 * ExportOptions, for the service and the one-shot `export` (through `exportOnce`), the tests
 * and the bench alike.
 */
export function exportOptionsFrom(config: Pick<Config, 'export'>): ExportOptions {
  const e = config.export;
  return {
    dir: e.dir,
    bom: e.bom,
    timeZone: e.timezone,
    labels: mergeLabels(e.statusLabels),
    escapeFormulas: e.escapeFormulas,
    classes: e.statusClasses,
    optOutWords: e.optOutWords,
    addressMode: e.addressMode,
    hashKey: e.hashKey,
    formats: e.formats,
  };
}
