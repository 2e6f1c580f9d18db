import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { hostKeyPair } from '../../src/demo/embedded-sftp-server.js';

const { utils } = ssh2;

describe("demo's host key", () => {
  it('is always one ssh2 can read back, though ssh2 draws an unreadable pair about 1 time in 256', () => {
    // 3,000 raw draws would hold about 12 unreadable pairs (none with probability 1e-5).
    const unreadable = Array.from({ length: 3_000 }, () => hostKeyPair()).filter(
      (k) =>
        utils.parseKey(k.private) instanceof Error || utils.parseKey(k.public) instanceof Error,
    );
    expect(unreadable).toEqual([]);
  });
});
