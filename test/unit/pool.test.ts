import { describe, expect, it } from 'vitest';
import { ByteBudget, mapPool } from '../../src/pipeline/pool.js';

/** Lets every settled promise's reactions run. */
const flush = () => new Promise((r) => setImmediate(r));

describe('mapPool', () => {
  it('keeps at most `limit` calls in flight and the results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapPool([30, 10, 20, 0, 5], 2, async (ms, i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(most).toBe(2);
    expect(results).toEqual(
      ['0:30', '1:10', '2:20', '3:0', '4:5'].map((value) => ({ ok: true, value })),
    );
  });

  it('records a failure in its place and goes on with the rest', async () => {
    const boom = new Error('boom');
    const seen: number[] = [];
    const results = await mapPool([1, 2, 3], 1, async (n) => {
      seen.push(n);
      if (n === 2) throw boom;
      return n * 10;
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(results).toEqual([
      { ok: true, value: 10 },
      { ok: false, error: boom },
      { ok: true, value: 30 },
    ]);
  });

  it('starts no more workers than items, and none for no items', async () => {
    let calls = 0;
    expect(await mapPool([], 4, async () => ++calls)).toEqual([]);
    expect(calls).toBe(0);
    const r = await mapPool(['a'], 100, async (x) => x);
    expect(r).toEqual([{ ok: true, value: 'a' }]);
  });
});

describe('ByteBudget', () => {
  it('grants at once while the bytes fit, then makes later requests wait for a release', async () => {
    const b = new ByteBudget(10);
    expect(await b.acquire(4)).toBe(4);
    expect(await b.acquire(6)).toBe(6);
    expect(b.hasWaiters()).toBe(false);
    let granted: number | undefined;
    void b.acquire(3).then((n) => (granted = n));
    await flush();
    expect(granted).toBeUndefined();
    expect(b.hasWaiters()).toBe(true);
    // Giving back 2 is not enough for 3 (8 + 3 > 10); giving back 4 more is.
    b.release(2);
    await flush();
    expect(granted).toBeUndefined();
    b.release(4);
    await flush();
    expect(granted).toBe(3);
    expect(b.hasWaiters()).toBe(false);
    // Now 4 + 3 = 7 are held: 3 more fit, 4 do not.
    expect(await b.acquire(3)).toBe(3);
    let late = false;
    void b.acquire(1).then(() => (late = true));
    await flush();
    expect(late).toBe(false);
  });

  it('serves waiters first come first served: a small request does not pass a large one', async () => {
    const b = new ByteBudget(10);
    await b.acquire(8);
    const order: string[] = [];
    void b.acquire(5).then(() => order.push('large'));
    void b.acquire(1).then(() => order.push('small'));
    await flush();
    // 1 byte would fit now, but the large request came first.
    expect(order).toEqual([]);
    b.release(8);
    await flush();
    expect(order).toEqual(['large', 'small']);
  });

  it('grants a request larger than the whole budget the whole budget, once nothing is held', async () => {
    const b = new ByteBudget(10);
    await b.acquire(1);
    let granted: number | undefined;
    void b.acquire(50).then((n) => (granted = n));
    await flush();
    expect(granted).toBeUndefined();
    b.release(1);
    await flush();
    expect(granted).toBe(10);
    expect(await Promise.race([b.acquire(1), flush().then(() => 'waiting')])).toBe('waiting');
  });
});
