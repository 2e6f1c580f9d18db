import { describe, expect, it } from 'vitest';
import { counted } from '../../src/core/plural.js';

describe('counted', () => {
  it('says one file, no files, many files, with thousands grouped', () => {
    expect(counted(1, 'file')).toBe('1 file');
    expect(counted(0, 'file')).toBe('0 files');
    expect(counted(2, 'day')).toBe('2 days');
    expect(counted(12_345, 'file')).toBe('12,345 files');
    expect(counted(1, 'entry', 'entries')).toBe('1 entry');
    expect(counted(3, 'entry', 'entries')).toBe('3 entries');
  });
});
