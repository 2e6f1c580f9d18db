import { describe, expect, it } from 'vitest';
import { json, messageSend } from '../fixtures/webio.js';
import { dumpStore } from '../helpers/dump.js';
import { dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const valid = { ...messageSend };
const wrongTypes = Object.fromEntries(
  Object.keys(valid).map((k) => [k, k === 'type' ? 'messageSend' : { nested: [true] }]),
);

/** File name → the content and the reason it must be quarantined for. */
const corpus: Record<string, [string | Buffer, string]> = {
  'random-bytes.json': [randomBytes(4096, 7), 'not-utf8'],
  'invalid-utf8.json': [
    Buffer.concat([
      Buffer.from('{"type":"inboundMessage","body":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]),
    'not-utf8',
  ],
  'overlong-utf8.json': [Buffer.from([0x7b, 0xc0, 0xaf, 0x7d]), 'not-utf8'],
  'deep-array.json': [
    `{"type":"payment","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    'invalid-event',
  ],
  'deep-object.json': [`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, 'not-an-event'],
  'fifty-megabyte-line.json': [
    `{"type":"messageSend","body":"${'a'.repeat(50 * 1024 * 1024)}"}`,
    'too-large',
  ],
  'proto-type.json': [
    '{"__proto__":{"type":"messageSend"},"communicationActionId":"1"}',
    'not-an-event',
  ],
  'constructor.json': [
    '{"type":"messageSend","constructor":{"prototype":{"polluted":true}},"communicationActionId":"5"}',
    'invalid-event',
  ],
  'huge-number.json': [JSON.stringify({ ...valid }).replace('"220860"', '1e400'), 'invalid-event'],
  'long-number.json': [
    JSON.stringify({ ...valid }).replace('"220860"', '123456789012345678901234567890'),
    'invalid-event',
  ],
  'wrong-types.json': [JSON.stringify(wrongTypes), 'invalid-event'],
  'truncated.json': [json(valid).slice(0, 80), 'not-json'],
  'truncated-array.json': [`[${json(valid)},`, 'not-json'],
  'number.json': ['42', 'not-an-event'],
  'null.json': ['null', 'not-an-event'],
  'string.json': ['"messageSend"', 'not-an-event'],
  'empty-object.json': ['{}', 'not-an-event'],
  'nested-arrays.json': ['[[{"type":"messageSend"}]]', 'not-an-event'],
  'nul-bytes.json': [Buffer.from([0x00, 0x00, 0x00]), 'not-json'],
  'bom-only.json': [Buffer.from([0xef, 0xbb, 0xbf]), 'empty'],
};

describe('hostile and broken files', () => {
  it('quarantines each with its reason, keeps memory bounded, and ingests the good file beside them', async () => {
    const t = setupConfig(sshd, { parseGraceSeconds: 60 });
    for (const [name, [content]] of Object.entries(corpus))
      dropFile(t.remoteDir, name, content, 600);
    dropFile(t.remoteDir, 'good.json', json(valid), 600);

    // A heap far smaller than the corpus: anything read whole or parsed twice would not fit.
    const r = await runCli(
      ['ingest', '--config', t.configFile, '--json'],
      { NODE_OPTIONS: '--max-old-space-size=96' },
      120_000,
    );
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as {
      quarantined: { file: string; reason: string }[];
      newEvents: Record<string, number>;
    };
    const got = Object.fromEntries(s.quarantined.map((q) => [q.file, q.reason]));
    expect(got).toEqual(
      Object.fromEntries(Object.entries(corpus).map(([name, [, reason]]) => [name, reason])),
    );
    expect(s.newEvents.messageSend).toBe(1);
    expect(listDir(t.errorDir)).toEqual(Object.keys(corpus).sort());
    expect(listDir(t.processedDir)).toEqual(['good.json']);
    expect(dumpStore(t.config.database.path).quarantine).toHaveLength(Object.keys(corpus).length);
  });
});
