import { describe, expect, it } from 'vitest';
import { mergeLabels } from '../../src/core/status-labels.js';
import { DEFAULT_STATUS_CLASSES } from '../../src/core/outcomes.js';
import { checkStatusCodes, formatStatusCodes } from '../../src/core/status-check.js';

const labels = mergeLabels({});

describe('the status-code check', () => {
  it('labels and classes each code by the configured lists', () => {
    const r = checkStatusCodes(
      [
        { code: '0', count: 7 },
        { code: '14', count: 2 },
        { code: '77', count: 1 },
      ],
      labels,
      DEFAULT_STATUS_CLASSES,
      7,
    );
    expect(r.codes).toEqual([
      { code: '0', count: 7, label: 'Delivered', class: 'delivered' },
      { code: '14', count: 2, label: 'Unconfirmed', class: 'unconfirmed' },
      { code: '77', count: 1, label: '', class: 'unconfirmed' },
    ]);
    expect([r.reports, r.delivered, r.warning]).toEqual([10, 7, undefined]);
    expect(formatStatusCodes(r.codes)).toBe(
      '0 Delivered (delivered) 7; 14 Unconfirmed (unconfirmed) 2; 77 (unconfirmed) 1',
    );
    expect(formatStatusCodes([])).toBe('none');
  });

  it('warns from 100 reports with none delivered, not at 99, not with one delivered', () => {
    const check = (counts: { code: string; count: number }[], classes = DEFAULT_STATUS_CLASSES) =>
      checkStatusCodes(counts, labels, classes, 7).warning;
    expect(check([{ code: '1', count: 99 }])).toBeUndefined();
    expect(check([{ code: '1', count: 100 }])).toContain(
      '100 delivery reports in the last 7 days and none in the delivered class (codes 1)',
    );
    expect(
      check([
        { code: '2', count: 60 },
        { code: '1', count: 40 },
      ]),
    ).toContain('(codes 2, 1)');
    expect(
      check([
        { code: '1', count: 99 },
        { code: '0', count: 1 },
      ]),
    ).toBeUndefined();
    // An account whose "2" means delivered, once configured so, is fine.
    expect(
      check([{ code: '2', count: 500 }], { delivered: ['2'], failed: ['1'], unconfirmed: [] }),
    ).toBeUndefined();
  });
});
