import { configSchema } from '../../src/config/schema.js';
import { exportOptionsFrom, type ExportOptions } from '../../src/pipeline/export/options.js';

/**
 * The export's settings as a default config gives them (London days), built the way the
 * service builds them, with `export.dir` set to `dir`, then overrides.
 */
export function exportOptions(dir: string, over: Partial<ExportOptions> = {}): ExportOptions {
  return {
    ...exportOptionsFrom({ export: configSchema.shape.export.parse({ dir }) }),
    ...over,
  };
}
