import { describe, expect, it } from 'vitest';
import { parseWebhookFile } from '../../src/core/parse-file.js';
import { inboundMessage, messageSend, messageStatusUpdate, payment } from '../fixtures/webio.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The time of ingest in these tests. */
const NOW = Date.UTC(2026, 10, 30, 12);
const parse = (s: string | Uint8Array, tz = 'UTC', nowMs = NOW) =>
  parseWebhookFile(typeof s === 'string' ? enc(s) : s, tz, nowMs);

describe('parseWebhookFile', () => {
  it('reads one object, an array, and NDJSON alike', () => {
    const one = parse(JSON.stringify(messageSend));
    const arr = parse(JSON.stringify([messageSend, inboundMessage]));
    const nd = parse(
      `${JSON.stringify(messageSend)}\n\n${JSON.stringify(messageStatusUpdate)}\r\n`,
    );
    expect(one.ok && one.events.map((e) => e.type)).toEqual(['messageSend']);
    expect(arr.ok && arr.events.map((e) => e.type)).toEqual(['messageSend', 'inboundMessage']);
    expect(nd.ok && nd.events.map((e) => e.type)).toEqual(['messageSend', 'messageStatusUpdate']);
  });

  it('accepts a UTF-8 byte order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc(JSON.stringify(inboundMessage))]);
    const r = parse(bytes);
    expect(r.ok && r.events[0]?.message?.body).toBe("No I don't");
  });

  it('stores ids and statusCode given as numbers as their string form', () => {
    const r = parse(
      JSON.stringify({
        ...messageStatusUpdate,
        communicationActionId: 220860,
        conversationId: 97226,
        statusCode: 2,
      }),
    );
    expect(r.ok && r.events[0]?.message).toMatchObject({
      communicationActionId: '220860',
      conversationId: '97226',
      statusCode: '2',
    });
  });

  // Each optional field of each message type, absent and null: the event is kept and the
  // field reads "" (it used to be quarantined when absent: a union with undefined does not
  // make an object key optional).
  const optionalFields: [string, string, Record<string, unknown>][] = [
    ...['conversationId', 'outboundChannelAddress', 'inboundChannelAddress', 'customerUID'].flatMap(
      (f): [string, string, Record<string, unknown>][] => [
        ['messageSend', f, messageSend],
        ['inboundMessage', f, inboundMessage],
        ['messageStatusUpdate', f, messageStatusUpdate],
      ],
    ),
    ['messageSend', 'body', messageSend],
    ['inboundMessage', 'body', inboundMessage],
    ['messageSend', 'statusCode', messageSend],
  ];
  it.each(optionalFields)('%s without %s is kept, the field empty', (_type, field, event) => {
    const absent = Object.fromEntries(Object.entries(event).filter(([k]) => k !== field));
    for (const variant of [absent, { ...event, [field]: null }]) {
      const r = parse(JSON.stringify(variant));
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const message = r.ok ? r.events[0]?.message : undefined;
      expect(message?.[field as keyof typeof message]).toBe('');
      expect(message?.communicationActionId).toBe(String(event.communicationActionId));
    }
  });

  it('refuses a dateCreated before 2000 or more than 7 days after the time of ingest', () => {
    // 7 days after NOW (2026-11-30 12:00 UTC) is 2026-12-07 12:00: the last accepted instant.
    const at = (dateCreated: string, type: object = messageSend) =>
      parse(JSON.stringify({ ...type, dateCreated }));
    expect(at('2026-12-07 12:00:00.000').ok).toBe(true);
    expect(at('2000-01-01 00:00:00.000').ok).toBe(true);
    for (const [date, why] of [
      ['2026-12-07 12:00:00.001', 'more than 7 days after'],
      ['9999-12-31 23:59:59-23:59', 'more than 7 days after'],
      ['1999-12-31 23:59:59.999', 'before 2000-01-01'],
      ['0001-01-01 00:00:00', 'before 2000-01-01'],
    ] as const) {
      for (const type of [messageSend, inboundMessage, messageStatusUpdate, payment]) {
        const r = at(date, type);
        expect(r, `${date} in ${type.type}`).toMatchObject({ ok: false, reason: 'invalid-event' });
        expect(!r.ok && r.detail).toContain(why);
      }
    }
  });

  it('refuses ids too large to keep exactly', () => {
    const r = parse(
      JSON.stringify({ ...messageSend }).replace('"220860"', '123456789012345678901234567890'),
    );
    expect(r).toMatchObject({ ok: false, reason: 'invalid-event' });
    expect(!r.ok && r.detail).toContain('too large');
  });

  // 12345678901234567890 and …891 are one double: kept as numbers they would read as one
  // conversation (or customer), and daily-summary would count replies across them.
  it.each([
    ['messageSend', 'conversationId', messageSend],
    ['inboundMessage', 'customerUID', inboundMessage],
    ['messageStatusUpdate', 'outboundChannelAddress', messageStatusUpdate],
    ['messageSend', 'inboundChannelAddress', messageSend],
    ['messageSend', 'statusCode', messageSend],
  ] as const)('%s: refuses a %s number it cannot keep exactly', (_type, field, event) => {
    for (const number of ['12345678901234567891', '0.10', '1e21']) {
      const text = JSON.stringify({ ...event, [field]: 'N' }).replace('"N"', number);
      const r = parse(text);
      expect(r, `${field} ${number}`).toMatchObject({ ok: false, reason: 'invalid-event' });
      expect(!r.ok && r.detail).toContain(field);
      expect(!r.ok && r.detail).toContain('too large (or not whole)');
    }
    const exact = parse(JSON.stringify({ ...event, [field]: 9007199254740991 }));
    expect(exact.ok && exact.events[0]?.message?.[field]).toBe('9007199254740991');
  });

  it('reads dateCreated as a wall-clock time in source.timezone', () => {
    const r = parse(
      JSON.stringify({ ...messageSend, dateCreated: '2021-07-01 23:30:00.000' }),
      'Europe/London',
    );
    expect(r.ok && r.events[0]?.message?.dateMs).toBe(Date.UTC(2021, 6, 1, 22, 30));
  });

  it('keeps other event types with their payload, never refusing them', () => {
    const r = parse(JSON.stringify([payment, { type: 'conversationClosed', conversationId: 5 }]));
    expect(r.ok && r.events.map((e) => [e.type, e.message])).toEqual([
      ['payment', undefined],
      ['conversationClosed', undefined],
    ]);
  });

  it('gives one canonical payload whatever the key order and whitespace, keeping unknown fields', () => {
    const a = parse(JSON.stringify({ ...messageSend, extra: { b: 1, a: [1, 2] } }));
    const reordered = Object.fromEntries(
      Object.entries({ ...messageSend, extra: { a: [1, 2], b: 1 } }).reverse(),
    );
    const b = parse(JSON.stringify(reordered, null, 4));
    expect(a.ok && b.ok && a.events[0]?.payload === b.events[0]?.payload).toBe(true);
    expect(a.ok && a.events[0]?.payload).toContain('"extra":{"a":[1,2],"b":1}');
  });

  it('keeps a __proto__ key as data', () => {
    const r = parse('{"type":"payment","__proto__":{"polluted":true}}');
    expect(r.ok && r.events[0]?.payload).toBe('{"__proto__":{"polluted":true},"type":"payment"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['', 'empty', true],
    ['   \n', 'empty', true],
    ['[]', 'empty', false],
    ['{"type": ', 'not-json', true],
    ['"just a string"', 'not-an-event', false],
    ['[{"no":"type"}]', 'not-an-event', false],
    [
      JSON.stringify({ ...messageSend, communicationActionId: '' }),
      'missing-communicationActionId',
      false,
    ],
    [JSON.stringify({ ...messageStatusUpdate, statusCode: undefined }), 'invalid-event', false],
    [JSON.stringify({ ...inboundMessage, dateCreated: '28/01/2021' }), 'invalid-event', false],
    [JSON.stringify({ ...inboundMessage, body: { nested: true } }), 'invalid-event', false],
  ])('refuses %j as %s', (text, reason, retryable) => {
    expect(parse(text)).toMatchObject({ ok: false, reason, retryable });
  });

  it('refuses invalid UTF-8', () => {
    expect(parse(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({
      ok: false,
      reason: 'not-utf8',
    });
  });

  it('refuses nesting deeper than 64 levels', () => {
    const deep = `{"type":"payment","x":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(parse(deep)).toMatchObject({ ok: false, reason: 'invalid-event' });
  });

  it('names the place of every problem in a file, refusing the whole file', () => {
    const r = parse(JSON.stringify([messageSend, { ...inboundMessage, dateCreated: 'x' }, 7]));
    expect(r).toMatchInlineSnapshot(`
      {
        "detail": "event 1: inboundMessage dateCreated: must be a date like "2021-01-28 12:22:15.397"; event 2: not a JSON object (a number)",
        "ok": false,
        "reason": "invalid-event",
        "retryable": false,
      }
    `);
    const nd = parse(`${JSON.stringify(messageSend)}\n{"type":"inboundMessage"}`);
    expect(!nd.ok && nd.detail).toBe('line 2: inboundMessage has no communicationActionId');
  });
});
