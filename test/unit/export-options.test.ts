import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { DEFAULT_STATUS_LABELS } from '../../src/core/status-labels.js';
import { exportOptionsFrom } from '../../src/pipeline/export/options.js';

const sftp = {
  username: 'u',
  password: 'p',
  hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
};

describe('exportOptionsFrom: the export options a config sets', () => {
  it("carries every export setting of the config, labels merged over Webio's", () => {
    const config = validateConfig(
      {
        sftp,
        export: {
          dir: '/srv/bi/webio',
          timezone: 'Europe/Dublin',
          bom: true,
          escapeFormulas: false,
          statusLabels: { '14': 'Not confirmed', '99': 'Custom' },
          statusClasses: { delivered: ['0', '14'] },
          addressMode: 'hash',
          formats: ['csv', 'parquet'],
          optOutWords: ['halt'],
        },
      },
      { WEBIO_REPORTS_HASH_KEY: 'a-secret-of-32-characters-at-least' },
      'test',
    );
    expect(exportOptionsFrom(config)).toEqual({
      dir: '/srv/bi/webio',
      bom: true,
      timeZone: 'Europe/Dublin',
      // Webio's labels (core/status-labels.ts), 14 overridden, 99 added.
      labels: { ...DEFAULT_STATUS_LABELS, '14': 'Not confirmed', '99': 'Custom' },
      escapeFormulas: false,
      // failed keeps its default list when only delivered is set.
      classes: {
        delivered: ['0', '14'],
        failed: ['1', '2', '3', '5', '6', '7', '9', '10', '11', '12'],
        unconfirmed: [],
      },
      optOutWords: ['halt'],
      addressMode: 'hash',
      hashKey: 'a-secret-of-32-characters-at-least',
      formats: ['csv', 'parquet'],
    });
  });

  it('gives the documented defaults for a config that sets nothing under export', () => {
    const options = exportOptionsFrom(validateConfig({ sftp }, {}, 'test'));
    expect(options).toMatchObject({
      dir: 'data/exports',
      bom: false,
      timeZone: 'Europe/London',
      escapeFormulas: true,
      addressMode: 'plain',
      formats: ['csv'],
    });
    expect(options.hashKey).toBeUndefined();
    expect(options.labels['14']).toBe('Unconfirmed');
  });
});
