import { mergeLabels } from '../../src/core/csv-rows.js';
import { DEFAULT_OPT_OUT_WORDS, DEFAULT_STATUS_CLASSES } from '../../src/core/outcomes.js';
import type { ExportOptions } from '../../src/pipeline/export-run.js';

/** The export's settings as a default config gives them (London days), with overrides. */
export function exportOptions(dir: string, over: Partial<ExportOptions> = {}): ExportOptions {
  return {
    dir,
    bom: false,
    timeZone: 'Europe/London',
    labels: mergeLabels({}),
    escapeFormulas: true,
    classes: DEFAULT_STATUS_CLASSES,
    optOutWords: DEFAULT_OPT_OUT_WORDS,
    ...over,
  };
}
