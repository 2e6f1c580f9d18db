import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebhookFile, type RejectReason } from '../../src/core/parse-file.js';

const REASONS: RejectReason[] = [
  'empty',
  'not-utf8',
  'not-json',
  'not-an-event',
  'invalid-event',
  'missing-communicationActionId',
  'too-large',
];

function checkShape(r: ReturnType<typeof parseWebhookFile>): void {
  if (r.ok) {
    for (const e of r.events) {
      expect(typeof e.type).toBe('string');
      expect(() => JSON.parse(e.payload) as unknown).not.toThrow();
    }
  } else {
    expect(REASONS).toContain(r.reason);
    expect(r.detail.length).toBeGreaterThan(0);
  }
}

describe('parser fuzzing', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        checkShape(parseWebhookFile(bytes, 'UTC', Date.now()));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON, as one value, an array, or NDJSON', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.constantFrom('one', 'array', 'ndjson'),
        (value, shape) => {
          const text =
            shape === 'one'
              ? JSON.stringify(value)
              : shape === 'array'
                ? JSON.stringify([value, value])
                : `${JSON.stringify(value)}\n${JSON.stringify(value)}`;
          checkShape(parseWebhookFile(new TextEncoder().encode(text), 'Europe/London', Date.now()));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed message event, with ids kept exactly', () => {
    const id = fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    );
    const text = fc.oneof(fc.string(), fc.constant(null), fc.integer());
    const date = fc
      .date({
        min: new Date(Date.UTC(2000, 0, 1)),
        max: new Date(Date.UTC(2099, 0, 1)),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().replace('T', ' ').replace('Z', ''));
    const event = fc.record({
      type: fc.constantFrom('messageSend', 'inboundMessage', 'messageStatusUpdate'),
      communicationActionId: id,
      conversationId: text,
      outboundChannelAddress: text,
      inboundChannelAddress: text,
      customerUID: text,
      body: fc.string(),
      statusCode: id,
      dateCreated: date,
      extra: fc.jsonValue({ maxDepth: 3 }),
    });
    fc.assert(
      fc.property(event, (e) => {
        // ingested in 2100, so that every date of the range is in the past
        const r = parseWebhookFile(
          new TextEncoder().encode(JSON.stringify(e)),
          'UTC',
          Date.UTC(2100, 0, 1),
        );
        expect(r.ok).toBe(true);
        if (r.ok)
          expect(r.events[0]?.message?.communicationActionId).toBe(String(e.communicationActionId));
      }),
      { numRuns: 1000 },
    );
  });
});
