import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STATUS_CLASSES,
  classOf,
  compareStatusCodes,
  finalStatus,
  foldOptOut,
  formatRatio,
  formatSeconds,
  interpolatePercentile,
  overlappingCodes,
  percentileOf,
} from '../../src/core/outcomes.js';

const C = DEFAULT_STATUS_CLASSES;

describe('status classes', () => {
  it('classes Webio codes: 0 delivered, the published failures failed, 14 and unknown unconfirmed', () => {
    expect(['0', '1', '12', '14', '4', 'x', ''].map((c) => classOf(c, C))).toEqual([
      'delivered',
      'failed',
      'failed',
      'unconfirmed',
      'unconfirmed',
      'unconfirmed',
      'unconfirmed',
    ]);
  });

  it('names every code listed in two classes, with both classes', () => {
    expect(
      overlappingCodes({ delivered: ['0', '3'], failed: ['3', '4'], unconfirmed: ['4'] }),
    ).toEqual([
      { code: '3', classes: ['delivered', 'failed'] },
      { code: '4', classes: ['failed', 'unconfirmed'] },
    ]);
    expect(overlappingCodes(C)).toEqual([]);
  });

  it('orders codes as numbers, non-numeric codes after them as text', () => {
    expect(['10', 'b', '2', '-1', 'a', '02', '9'].sort(compareStatusCodes)).toEqual([
      '-1',
      '02',
      '2',
      '9',
      '10',
      'a',
      'b',
    ]);
  });
});

describe('final status', () => {
  const s = (code: string, dateMs: number) => ({ code, dateMs });

  it('is the latest by dateCreated, whatever the arrival order', () => {
    expect(finalStatus([s('0', 5), s('2', 9), s('14', 1)], C)).toEqual(s('2', 9));
    expect(finalStatus([s('14', 1), s('2', 9), s('0', 5)], C)).toEqual(s('2', 9));
  });

  it('at equal time prefers delivered, then failed, then unconfirmed, then the smaller code', () => {
    expect(finalStatus([s('14', 5), s('1', 5), s('0', 5)], C)?.code).toBe('0');
    expect(finalStatus([s('4', 5), s('12', 5), s('5', 5)], C)?.code).toBe('5');
    expect(finalStatus([s('x', 5), s('77', 5)], C)?.code).toBe('77');
  });

  it('is undefined without statuses (the send is pending)', () => {
    expect(finalStatus([], C)).toBeUndefined();
  });
});

describe('report decimals', () => {
  it('writes seconds with 3 decimals from whole milliseconds', () => {
    expect([0, 1, 999, 1000, 12345, -5, -1500].map(formatSeconds)).toEqual([
      '0.000',
      '0.001',
      '0.999',
      '1.000',
      '12.345',
      '-0.005',
      '-1.500',
    ]);
  });

  it('rounds ratios half away from zero with every decimal written', () => {
    expect(formatRatio(1, 2)).toBe('0.5000');
    expect(formatRatio(2, 3)).toBe('0.6667');
    expect(formatRatio(1, 3)).toBe('0.3333');
    // 1/16 = 0.0625 exactly: half away from zero gives 0.063 at 3 decimals (half-even: 0.062).
    expect(formatRatio(1, 16, 3)).toBe('0.063');
    expect(formatRatio(5, 5)).toBe('1.0000');
    expect(formatRatio(0, 7)).toBe('0.0000');
    expect(formatRatio(0, 0)).toBe('');
  });

  it('interpolates percentiles between closest ranks, as percentile_cont does', () => {
    // n = 2: the median sits half-way between the two values; p95 at 0.95 of the way.
    expect(interpolatePercentile(5500, 20000, 2, 50)).toBe(12750);
    expect(interpolatePercentile(5500, 20000, 2, 95)).toBe(19275);
    // Half a millisecond rounds away from zero.
    expect(interpolatePercentile(0, 1, 2, 50)).toBe(1);
    // n = 1: the only value.
    expect(interpolatePercentile(700, null, 1, 95)).toBe(700);
    // [1, 2, 3, 4, 100] s: p95 at position 3.8 = 4 + 0.8 × 96 = 80.8 s.
    expect(percentileOf([100_000, 3000, 1000, 4000, 2000], 95)).toBe(80_800);
    expect(percentileOf([100_000, 3000, 1000, 4000, 2000], 50)).toBe(3000);
    expect(percentileOf([], 50)).toBeUndefined();
  });

  it('folds opt-out words: trimmed, case-folded', () => {
    expect(foldOptOut('  Stop\n')).toBe('stop');
    expect(foldOptOut('UNSUBSCRIBE')).toBe('unsubscribe');
    expect(foldOptOut('Straße')).toBe(foldOptOut('STRASSE'));
  });
});
