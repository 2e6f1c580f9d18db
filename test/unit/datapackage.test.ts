import { describe, expect, it } from 'vitest';
import { datapackageJson } from '../../src/pipeline/export/datapackage.js';
import type { ReportDefinition } from '../../src/reports/index.js';

// Three small reports, made up for this test: what datapackage.json says depends only on
// their names, columns and keys, and on the day files recorded.
const report = (name: string, extra: Partial<ReportDefinition>): ReportDefinition => ({
  name,
  columns: [],
  sql: 'SELECT 1',
  toRow: () => [],
  ...extra,
});
const sends = report('sends', {
  columns: [
    { name: 'id', type: 'string', description: 'the send' },
    { name: 'sentAt', type: 'datetime' },
  ],
  primaryKey: ['id'],
});
const other = report('other', {
  columns: [{ name: 'dateCreated', type: 'datetime', csvType: 'string' }],
});
const empty = report('empty', { columns: [{ name: 'n', type: 'integer' }] });

const dialect = {
  delimiter: ',',
  lineTerminator: '\n',
  quoteChar: '"',
  doubleQuote: true,
  header: true,
};

describe('datapackage.json', () => {
  it('lists the CSV day files of each report oldest first, with its columns, types and key', () => {
    const text = datapackageJson(
      [sends, empty, other],
      [
        { report: 'sends', day: '2021-07-03', format: 'csv', relative: 'sends/s-3.csv' },
        { report: 'other', day: '2021-07-01', format: 'csv', relative: 'other/o-1.csv' },
        { report: 'sends', day: '2021-07-01', format: 'csv', relative: 'sends/s-1.csv' },
        { report: 'sends', day: '2021-07-02', format: 'parquet', relative: 'parquet/s-2' },
        { report: 'sends', day: '2021-07-02', format: 'csv', relative: 'sends/s-2.csv' },
        { report: 'gone', day: '2021-07-01', format: 'csv', relative: 'gone/g-1.csv' },
      ],
    );
    // Written out by hand: reports in the order given; "empty" has no file, so no resource
    // (a resource needs a path); Parquet files and reports not given are not listed; a
    // column's csvType wins over its type; a description and a primaryKey only when given.
    expect(JSON.parse(text)).toEqual({
      name: 'webio-reports',
      profile: 'tabular-data-package',
      resources: [
        {
          name: 'sends',
          path: ['sends/s-1.csv', 'sends/s-2.csv', 'sends/s-3.csv'],
          profile: 'tabular-data-resource',
          format: 'csv',
          mediatype: 'text/csv',
          encoding: 'utf-8',
          dialect,
          schema: {
            fields: [
              { name: 'id', type: 'string', description: 'the send' },
              { name: 'sentAt', type: 'datetime' },
            ],
            missingValues: [''],
            primaryKey: ['id'],
          },
        },
        {
          name: 'other',
          path: ['other/o-1.csv'],
          profile: 'tabular-data-resource',
          format: 'csv',
          mediatype: 'text/csv',
          encoding: 'utf-8',
          dialect,
          schema: { fields: [{ name: 'dateCreated', type: 'string' }], missingValues: [''] },
        },
      ],
    });
    // Pretty-printed with two spaces, ending in a newline.
    expect(text.startsWith('{\n  "name": "webio-reports",\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('is the same text whatever order the files were recorded in', () => {
    const files = [
      { report: 'sends', day: '2021-07-02', format: 'csv', relative: 'b' },
      { report: 'sends', day: '2021-07-01', format: 'csv', relative: 'a' },
      { report: 'sends', day: '2021-07-03', format: 'csv', relative: 'c' },
    ] as const;
    const one = datapackageJson([sends], files);
    expect(datapackageJson([sends], [...files].reverse())).toBe(one);
    expect(JSON.parse(one).resources[0].path).toEqual(['a', 'b', 'c']);
  });

  it('has no resource at all before the first export', () => {
    expect(JSON.parse(datapackageJson([sends, other], [])).resources).toEqual([]);
  });
});
