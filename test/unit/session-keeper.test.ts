import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionKeeper } from '../../src/io/session-keeper.js';

/** A session of our own: counts connects and closes; `alive` until closed or dropped. */
function sessions() {
  const made: { id: number; alive: boolean; closed: boolean; close(): Promise<void> }[] = [];
  const connect = async () => {
    const s = {
      id: made.length + 1,
      alive: true,
      closed: false,
      async close() {
        s.closed = true;
        s.alive = false;
      },
    };
    made.push(s);
    return s;
  };
  return { made, connect };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a session kept across polls', () => {
  it('is reused while alive, and replaced once it dropped', async () => {
    const { made, connect } = sessions();
    const keeper = new SessionKeeper(connect, 60_000);
    const first = await keeper.acquire();
    expect([first.session.id, first.reused]).toEqual([1, false]);
    await keeper.release(false);
    const second = await keeper.acquire();
    expect([second.session.id, second.reused]).toEqual([1, true]);
    await keeper.release(false);
    // The server dropped it while idle: the next poll connects again.
    made[0]!.alive = false;
    const third = await keeper.acquire();
    expect([third.session.id, third.reused]).toEqual([2, false]);
    expect(made[0]!.closed).toBe(true);
    await keeper.close();
    expect(made[1]!.closed).toBe(true);
  });

  it('is closed at once after a failed poll', async () => {
    const { made, connect } = sessions();
    const keeper = new SessionKeeper(connect, 60_000);
    await keeper.acquire();
    await keeper.release(true);
    expect(made[0]!.closed).toBe(true);
    expect((await keeper.acquire()).session.id).toBe(2);
  });

  it('is closed after idleMs unused, and not before', async () => {
    vi.useFakeTimers();
    const { made, connect } = sessions();
    const keeper = new SessionKeeper(connect, 300_000);
    await keeper.acquire();
    await keeper.release(false);
    await vi.advanceTimersByTimeAsync(299_999);
    expect(made[0]!.closed).toBe(false);
    // Used again before the end: the idle time starts over at the next release.
    await keeper.acquire();
    await keeper.release(false);
    await vi.advanceTimersByTimeAsync(299_999);
    expect(made[0]!.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(made[0]!.closed).toBe(true);
    expect((await keeper.acquire()).session.id).toBe(2);
  });

  it('with idleMs 0, connects for every poll', async () => {
    const { made, connect } = sessions();
    const keeper = new SessionKeeper(connect, 0);
    await keeper.acquire();
    await keeper.release(false);
    expect(made[0]!.closed).toBe(true);
    expect((await keeper.acquire()).reused).toBe(false);
  });
});

describe('a kept session lent to code that closes it', () => {
  it('goes back to the keeper on close, still open, and is reused', async () => {
    const { made, connect } = sessions();
    const keeper = new SessionKeeper(connect, 60_000);
    const lent = await keeper.lease();
    expect(lent.id).toBe(1);
    await lent.close();
    expect(made[0]!.closed).toBe(false);
    const next = await keeper.acquire();
    expect([next.session.id, next.reused]).toEqual([1, true]);
    await keeper.close();
  });
});
