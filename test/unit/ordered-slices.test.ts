import { describe, expect, it } from 'vitest';
import { OrderedSlices } from '../../src/pipeline/ingest/ordered-slices.js';

/** Work of `events` events, named for the test. */
type W = { name: string; events: number };

function slicer(count: number, sliceEvents: number, mustFlush = () => false) {
  const commits: { names: string[]; bytes: number }[] = [];
  const slices = new OrderedSlices<W>(count, {
    sliceEvents,
    eventsOf: (w) => w.events,
    mustFlush,
    commit: (work, bytes) => commits.push({ names: work.map((w) => w.name), bytes }),
  });
  return { slices, commits };
}

describe('ordered slices', () => {
  it('commits in listing order whatever order the work is done in', () => {
    const { slices, commits } = slicer(4, 100);
    slices.settle(2, { name: 'c', events: 1 });
    slices.settle(1, { name: 'b', events: 1 });
    expect(commits).toEqual([]); // a is not done: nothing can go
    slices.settle(0, { name: 'a', events: 1 });
    slices.settle(3, { name: 'd', events: 1 });
    slices.flush();
    expect(commits).toEqual([{ names: ['a', 'b', 'c', 'd'], bytes: 0 }]);
  });

  it('cuts a slice once it holds sliceEvents events, with the bytes its files held', () => {
    const { slices, commits } = slicer(5, 10);
    for (let j = 0; j < 5; j++) slices.hold(j, 100 * (j + 1));
    // 4 + 6 = 10 events: a, b go; then c (3), d (3), e (3): 9, under 10, waits for the end.
    ['a', 'b', 'c', 'd', 'e'].forEach((name, j) =>
      slices.settle(j, { name, events: [4, 6, 3, 3, 3][j] ?? 0 }),
    );
    expect(commits).toEqual([{ names: ['a', 'b'], bytes: 300 }]);
    slices.flush();
    expect(commits[1]).toEqual({ names: ['c', 'd', 'e'], bytes: 1200 });
  });

  it('gives back the bytes of files with nothing to commit, and commits nothing twice', () => {
    const { slices, commits } = slicer(3, 100);
    slices.hold(0, 50);
    slices.hold(1, 70);
    slices.settle(0, null);
    slices.settle(1, null);
    slices.flush();
    slices.flush();
    expect(commits).toEqual([{ names: [], bytes: 120 }]);
  });

  it('goes at once when the bytes are wanted back', () => {
    let wanted = false;
    const { slices, commits } = slicer(3, 1000, () => wanted);
    slices.settle(0, { name: 'a', events: 1 });
    expect(commits).toEqual([]);
    wanted = true;
    slices.settle(1, { name: 'b', events: 1 });
    expect(commits).toEqual([{ names: ['a', 'b'], bytes: 0 }]);
  });
});
