import { describe, expect, it } from 'vitest';
import { Releasers } from '../../src/service/releasers.js';

describe('releasers', () => {
  it('release last taken first, each once, and go on past a failure, saying which', async () => {
    const order: string[] = [];
    const errors: unknown[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (o: object) => errors.push(o) };
    const r = new Releasers();
    r.add('store', () => order.push('store'));
    r.add('metrics', () => {
      throw new Error('port busy');
    });
    r.add('scheduler', async () => {
      order.push('scheduler');
    });
    await r.releaseAll(log);
    await r.releaseAll(log);
    expect(order).toEqual(['scheduler', 'store']);
    expect(errors).toEqual([{ resource: 'metrics', err: 'port busy' }]);
  });
});
