import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvRecord } from '../../src/core/csv-format.js';

describe('csvRecord', () => {
  it.each([
    [['a', 'b'], 'a,b\n'],
    [['', ''], ',\n'],
    [['x'], 'x\n'],
    [['say "hi"'], '"say ""hi"""\n'],
    [['a,b', 'c'], '"a,b",c\n'],
    [['line 1\nline 2'], '"line 1\nline 2"\n'],
    [['cr\rhere'], '"cr\rhere"\n'],
    [[' padded ', "'=SUM(A1)", 'Zoë 😊', 'tab\there'], " padded ,'=SUM(A1),Zoë 😊,tab\there\n"],
  ])('writes %j as %j', (cells, line) => {
    expect(csvRecord(cells)).toBe(line);
  });

  it('writes what csv-stringify writes with its defaults, for any text', () => {
    const cell = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('"', ',', '\r', '\n', ' ', 'a', '=', "'", '\t') }),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        expect(csvRecord(cells)).toBe(stringify([cells]));
      }),
      { numRuns: 2000 },
    );
  });
});
