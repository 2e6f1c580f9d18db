import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STATUS_CLASSES,
  classOf,
  compareStatusCodes,
  divRoundHalfAway,
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

  it.each([
    ['2', '10', -1],
    ['10', '2', 1],
    ['-1', '1', -1],
    ['2', '2', 0],
    // Equal as numbers: compared as text.
    ['02', '2', -1],
    ['2', '02', 1],
    // Non-numeric after numeric, and as text among themselves.
    ['a', '1', 1],
    ['1', 'a', -1],
    ['1a', '5', 1],
    ['a1', '5', 1],
    ['b', 'a', 1],
    ['a', 'b', -1],
    ['x', 'x', 0],
  ])('compares %j with %j as %d', (a, b, order) => {
    expect(compareStatusCodes(a, b)).toBe(order);
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

  it('chooses the same status whatever the order they are listed in', () => {
    const permutations = <T>(xs: T[]): T[][] =>
      xs.length <= 1
        ? [xs]
        : xs.flatMap((x, i) =>
            permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]),
          );
    // At time 5: delivered "0" beats failed "1" and "5" and unconfirmed "14"; "3" at time 4
    // is older. At time 7 alone: "14" is the latest, whatever its class.
    const equalTime = [s('14', 5), s('1', 5), s('0', 5), s('5', 5), s('3', 4)];
    for (const p of permutations(equalTime)) expect(finalStatus(p, C)?.code).toBe('0');
    for (const p of permutations([...equalTime, s('14', 7)]).slice(0, 200))
      expect(finalStatus(p, C)?.code).toBe('14');
    // Same class at the same time: the smaller code, as a number.
    for (const p of permutations([s('12', 5), s('5', 5), s('10', 5)]))
      expect(finalStatus(p, C)?.code).toBe('5');
    // A classifier function gives the same answer as the classes it stands for.
    expect(finalStatus(equalTime, (code) => classOf(code, C))?.code).toBe('0');
  });

  it('is undefined without statuses (the send is pending)', () => {
    expect(finalStatus([], C)).toBeUndefined();
  });
});

describe('report decimals', () => {
  it.each([
    [5n, 2n, 3n],
    [-5n, 2n, -3n],
    [5n, -2n, -3n],
    [-5n, -2n, 3n],
    [4n, 2n, 2n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [-2n, 3n, -1n],
    [0n, 7n, 0n],
  ])('rounds %d / %d half away from zero to %d', (n, d, q) => {
    expect(divRoundHalfAway(n, d)).toBe(q);
  });

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
