import { describe, expect, it } from 'vitest';
import { dueExport, isOverdue } from '../../src/core/catch-up.js';

const H = 3600_000;

describe('what export is due', () => {
  it('is the recorded one while no later run of the schedule has passed', () => {
    expect(dueExport({ dueAt: 10 * H, completedAt: 10 * H + 60_000 }, 10 * H)).toEqual({
      dueAt: 10 * H,
      completed: true,
    });
    expect(dueExport({ dueAt: 10 * H, completedAt: null }, 10 * H)).toEqual({
      dueAt: 10 * H,
      completed: false,
    });
  });

  it('is a later run of the schedule that nothing recorded (the service was down), not completed', () => {
    expect(dueExport({ dueAt: 10 * H, completedAt: 10 * H + 60_000 }, 34 * H)).toEqual({
      dueAt: 34 * H,
      completed: false,
    });
    // A store no service ever ran on: the schedule's last run is due.
    expect(dueExport(undefined, 34 * H)).toEqual({ dueAt: 34 * H, completed: false });
    expect(dueExport(undefined, undefined)).toBeUndefined();
  });

  it('is overdue once it has not completed within the grace', () => {
    const due = { dueAt: 10 * H, completed: false };
    expect(isOverdue(due, 10 * H + 15 * 60_000, 15 * 60_000)).toBe(false);
    expect(isOverdue(due, 10 * H + 15 * 60_000 + 1, 15 * 60_000)).toBe(true);
    expect(isOverdue({ ...due, completed: true }, 99 * H, 15 * 60_000)).toBe(false);
    expect(isOverdue(undefined, 99 * H, 15 * 60_000)).toBe(false);
  });
});
