import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobRunner } from '../../src/service/job-runner.js';
import { AppError } from '../../src/errors.js';
import { isOperationalError } from '../../src/service/failure-kind.js';

type Entry = { level: string; msg: string | undefined };

function capture() {
  const entries: Entry[] = [];
  const at = (level: string) => (_obj: object, msg?: string) => entries.push({ level, msg });
  return {
    entries,
    log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('JobRunner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 0, 1));
  });
  afterEach(() => vi.useRealTimers());

  // The fake timers move Date.now; `elapsed` (monotonic) moves with them unless a test says.
  const make = (onFatal = vi.fn(), elapsed: () => number = Date.now) => {
    const { entries, log } = capture();
    const runner = new JobRunner({
      log,
      clock: Date.now,
      elapsed,
      baseBackoffMs: 15_000,
      maxBackoffMs: 120_000,
      isOperational: isOperationalError,
      onFatal,
    });
    return { runner, entries, onFatal };
  };

  it('skips a poll tick while the previous poll is still running, and logs it', async () => {
    const { runner, entries } = make();
    const gate = deferred();
    const job = vi.fn(() => gate.promise);
    const first = runner.tick('poll', job);
    await expect(runner.tick('poll', job)).resolves.toBe('skipped-running');
    expect(entries.map((e) => e.msg)).toContain(
      'poll tick skipped: the previous poll is still running',
    );
    gate.resolve();
    await expect(first).resolves.toBe('ran');
    expect(job).toHaveBeenCalledTimes(1);
    await expect(runner.tick('poll', job)).resolves.toBe('ran');
  });

  it('runs an export after the poll in progress, never at the same time', async () => {
    const { runner } = make();
    const gate = deferred();
    const order: string[] = [];
    const poll = runner.tick('poll', async () => {
      order.push('poll start');
      await gate.promise;
      order.push('poll end');
    });
    const exp = runner.tick('export', async () => {
      order.push('export');
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual(['poll start']);
    gate.resolve();
    await Promise.all([poll, exp]);
    expect(order).toEqual(['poll start', 'poll end', 'export']);
  });

  it('backs off exponentially after failures, up to the maximum, and resets on success', async () => {
    const { runner } = make();
    let fail = true;
    const job = vi.fn(async () => {
      if (fail) throw new AppError('SFTP', 'sftp connect: connection refused');
    });
    expect(await runner.tick('poll', job)).toBe('failed');
    expect(await runner.tick('poll', job)).toBe('skipped-backoff');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await runner.tick('poll', job)).toBe('failed'); // 2nd failure: 30 s
    await vi.advanceTimersByTimeAsync(29_000);
    expect(await runner.tick('poll', job)).toBe('skipped-backoff');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await runner.tick('poll', job)).toBe('failed'); // 3rd: 60 s
    expect([1, 2, 3, 4, 5, 10].map((n) => runner.backoffMs(n))).toEqual([
      15_000, 30_000, 60_000, 120_000, 120_000, 120_000,
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    fail = false;
    expect(await runner.tick('poll', job)).toBe('ran');
    expect(await runner.tick('poll', job)).toBe('ran');
    expect(job).toHaveBeenCalledTimes(5);
  });

  it('measures the backoff on the monotonic clock: a wall clock stepped back does not hold a job back', async () => {
    let mono = 0;
    const { runner, entries } = make(vi.fn(), () => mono);
    let fail = true;
    const job = vi.fn(async () => {
      if (fail) throw new AppError('SFTP', 'sftp connect: connection refused');
    });
    expect(await runner.tick('poll', job)).toBe('failed'); // backoff 15 s
    expect(runner.retryInMs('poll')).toBe(15_000);
    // NTP steps the wall clock back an hour; 15 s pass.
    vi.setSystemTime(Date.now() - 3_600_000);
    mono += 14_999;
    expect(await runner.tick('poll', job)).toBe('skipped-backoff');
    expect(runner.retryInMs('poll')).toBe(1);
    mono += 1;
    fail = false;
    expect(await runner.tick('poll', job)).toBe('ran');
    // A step forward does not let a job out of its backoff early either.
    fail = true;
    expect(await runner.tick('poll', job)).toBe('failed');
    vi.setSystemTime(Date.now() + 3_600_000);
    expect(await runner.tick('poll', job)).toBe('skipped-backoff');
    expect(entries.filter((e) => e.msg?.includes('backing off'))).toHaveLength(2);
  });

  it('runs a queued tick once the job in progress ends, one at a time, and not inside a backoff', async () => {
    const { runner, entries } = make();
    const gate = deferred();
    const ran: string[] = [];
    const first = runner.tick('export', async () => {
      ran.push('first');
      await gate.promise;
    });
    const queued = runner.tick('export', async () => void ran.push('queued'), {
      whileRunning: 'queue',
    });
    // One tick waits; a third is skipped, as is one that did not ask to wait.
    await expect(
      runner.tick('export', async () => void ran.push('third'), { whileRunning: 'queue' }),
    ).resolves.toBe('skipped-running');
    await expect(runner.tick('export', async () => void ran.push('plain'))).resolves.toBe(
      'skipped-running',
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual(['first']);
    gate.resolve();
    await expect(first).resolves.toBe('ran');
    await expect(queued).resolves.toBe('ran');
    expect(ran).toEqual(['first', 'queued']);
    expect(entries.map((e) => e.msg)).toContain(
      'export tick queued: it runs when the export in progress ends',
    );

    // Queued behind a job that fails: it waits for the backoff like any tick.
    const failing = deferred();
    const second = runner.tick('export', () => failing.promise);
    const behind = runner.tick('export', async () => void ran.push('behind'), {
      whileRunning: 'queue',
    });
    failing.reject(new AppError('EXPORT_FAILED', '1 export file(s) not written'));
    await expect(second).resolves.toBe('failed');
    await expect(behind).resolves.toBe('skipped-backoff');
    expect(ran).toEqual(['first', 'queued']);
    // And the next tick after it may queue again.
    await vi.advanceTimersByTimeAsync(15_000);
    await expect(runner.tick('export', async () => void ran.push('later'))).resolves.toBe('ran');
  });

  it('hands an unexpected error to onFatal instead of retrying', async () => {
    const { runner, onFatal } = make();
    const bug = new TypeError('cannot read properties of undefined');
    expect(await runner.tick('poll', async () => Promise.reject(bug))).toBe('failed');
    expect(onFatal).toHaveBeenCalledWith(bug);
  });

  it('waits for the job in progress when stopping, then refuses new ticks', async () => {
    const { runner } = make();
    const gate = deferred();
    let started = false;
    let finished = false;
    void runner.tick('poll', async () => {
      started = true;
      await gate.promise;
      finished = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(true);
    const stopped = runner.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(finished).toBe(false);
    gate.resolve();
    await stopped;
    expect(finished).toBe(true);
    await expect(runner.tick('poll', async () => undefined)).resolves.toBe('skipped-stopping');
  });

  it('does not start a job that was only queued when stopping began', async () => {
    const { runner } = make();
    const job = vi.fn(async () => undefined);
    const tick = runner.tick('export', job);
    await runner.stop();
    await expect(tick).resolves.toBe('skipped-stopping');
    expect(job).not.toHaveBeenCalled();
  });
});

describe('isOperationalError', () => {
  it('retries our errors, network errors and a full or busy database; not bugs', () => {
    expect(isOperationalError(new AppError('SFTP', 'x'))).toBe(true);
    expect(isOperationalError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(
      true,
    );
    expect(isOperationalError(Object.assign(new Error('full'), { code: 'SQLITE_FULL' }))).toBe(
      true,
    );
    expect(isOperationalError(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(
      true,
    );
    expect(isOperationalError(new TypeError('x is undefined'))).toBe(false);
    expect(
      isOperationalError(Object.assign(new Error('corrupt'), { code: 'SQLITE_CORRUPT' })),
    ).toBe(false);
  });
});
