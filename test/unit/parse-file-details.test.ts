import { describe, expect, it } from 'vitest';
import { parseWebhookFile } from '../../src/core/parse-file.js';
import { inboundMessage, messageSend, messageStatusUpdate, payment } from '../fixtures/webio.js';

// What an operator reads in `status` and the quarantine record: the exact reason, detail and
// whether the file is retried, for each way a file can be refused.
const NOW = Date.UTC(2026, 10, 30, 12);
const parse = (s: string, maxEvents?: number) =>
  parseWebhookFile(new TextEncoder().encode(s), 'UTC', NOW, maxEvents);
const sends = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ...messageSend, communicationActionId: String(i + 1) }));
const line = (v: unknown) => JSON.stringify(v);

describe('parseWebhookFile refusals, in detail', () => {
  it('takes exactly maxEventsPerFile events and refuses one more', () => {
    const three = parse(JSON.stringify(sends(3)), 3);
    expect(three.ok && three.events.length).toBe(3);
    expect(parse(JSON.stringify(sends(4)), 3)).toEqual({
      ok: false,
      reason: 'too-many-events',
      detail: '4 events is over sftp.maxEventsPerFile (3)',
      retryable: false,
    });
    // NDJSON counts lines the same way.
    expect(parse(sends(4).map(line).join('\n'), 3)).toMatchObject({
      reason: 'too-many-events',
    });
  });

  it.each([
    // A lone object is "event"; array items are numbered from 0; NDJSON lines from 1.
    [line({ type: '' }), 'event: has no "type" field naming the event'],
    [line([{ type: 'payment' }, { type: '  ' }]), 'event 1: has no "type" field naming the event'],
    [line([{ type: 7 }]), 'event: has no "type" field naming the event'],
    [`${line(payment)}\n\n${line({ kind: 'x' })}`, 'line 3: has no "type" field naming the event'],
    [line([payment, null]), 'event 1: not a JSON object (null)'],
    [line([payment, [1]]), 'event 1: not a JSON object (an array)'],
    [line([payment, 'text']), 'event 1: not a JSON object (a string)'],
    [line(true), 'event: not a JSON object (a boolean)'],
  ])('refuses %j as not an event: %j', (text, detail) => {
    expect(parse(text)).toEqual({ ok: false, reason: 'not-an-event', detail, retryable: false });
  });

  it('shows the first five problems and counts the rest', () => {
    const bad = Array.from({ length: 8 }, (_, i) => ({
      ...messageSend,
      communicationActionId: '',
      conversationId: String(i),
    }));
    const r = parse(JSON.stringify(bad));
    expect(r).toEqual({
      ok: false,
      reason: 'missing-communicationActionId',
      detail: [0, 1, 2, 3, 4]
        .map((i) => `event ${i}: messageSend has no communicationActionId`)
        .concat('and 3 more')
        .join('; '),
      retryable: false,
    });
    // Exactly five: no "more".
    const five = parse(JSON.stringify(bad.slice(0, 5)));
    expect(!five.ok && five.detail.includes('more')).toBe(false);
    expect(!five.ok && five.detail.split('; ')).toHaveLength(5);
  });

  it('names the one reason all problems share, else "invalid-event"', () => {
    const missing = { ...messageSend, communicationActionId: null };
    expect(parse(line([missing, missing]))).toMatchObject({
      reason: 'missing-communicationActionId',
    });
    expect(parse(line([missing, { type: '' }]))).toMatchObject({ reason: 'invalid-event' });
    expect(parse(line([{ type: '' }, missing]))).toMatchObject({ reason: 'invalid-event' });
    expect(parse(line([{ type: '' }, 5]))).toMatchObject({ reason: 'not-an-event' });
  });

  it('refuses an unreadable or implausible dateCreated with the event type named', () => {
    expect(parse(line({ ...messageSend, dateCreated: '2026-02-30 10:00:00' }))).toEqual({
      ok: false,
      reason: 'invalid-event',
      detail: 'event: messageSend dateCreated: must be a date like "2021-01-28 12:22:15.397"',
      retryable: false,
    });
    expect(parse(line({ ...payment, dateCreated: '1999-12-31 23:59:59' }))).toEqual({
      ok: false,
      reason: 'invalid-event',
      detail: 'event: payment dateCreated is before 2000-01-01',
      retryable: false,
    });
    // Another type with an unreadable date is kept, undated.
    const kept = parse(line({ ...payment, dateCreated: 'yesterday' }));
    expect(kept.ok && kept.events[0]).toStrictEqual({
      type: 'payment',
      payload: expect.any(String),
    });
  });

  it('names every invalid field of an event', () => {
    const r = parse(line({ ...messageSend, conversationId: { id: 1 }, body: ['x'] }));
    expect(r).toMatchObject({ reason: 'invalid-event', retryable: false });
    const detail = r.ok ? '' : r.detail;
    expect(detail).toMatch(/^event: messageSend conversationId: .+, body: .+$/);
  });

  it('refuses text that is not UTF-8 for good', () => {
    expect(parseWebhookFile(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), 'UTC', NOW)).toEqual({
      ok: false,
      reason: 'not-utf8',
      detail: 'the file is not valid UTF-8',
      retryable: false,
    });
  });

  it('fills a field the event type does not carry with ""', () => {
    const r = parse(line([inboundMessage, messageStatusUpdate]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [inbound, status] = r.events.map((e) => ('message' in e ? e.message : undefined));
    expect(inbound?.statusCode).toBe('');
    expect(inbound?.body).toBe(inboundMessage.body);
    expect(status?.body).toBe('');
    expect(status?.statusCode).toBe(messageStatusUpdate.statusCode);
  });
});

describe('parseWebhookFile: JSON and NDJSON syntax', () => {
  it('reads NDJSON with blank lines and CRLF, labelling problems by line', () => {
    const ok = parse(`\r\n${line(payment)}\r\n\r\n${line(payment)}\r\n`);
    expect(ok.ok && ok.events.length).toBe(2);
    const bad = parse(`${line(payment)}\n${line({ ...messageSend, communicationActionId: '' })}`);
    expect(bad).toMatchObject({
      detail: 'line 2: messageSend has no communicationActionId',
    });
  });

  it('names the first line of NDJSON that is not JSON, and waits for it', () => {
    expect(parse(`${line(payment)}\n{"type": "pay`)).toEqual({
      ok: false,
      reason: 'not-json',
      detail: expect.stringMatching(/^line 2 is not JSON: /),
      retryable: true,
    });
    // After a blank first line, the bad line is still named.
    expect(parse(`\n{"type": \n${line(payment)}`)).toMatchObject({
      reason: 'not-json',
      detail: expect.stringMatching(/^line 2 is not JSON: /),
    });
  });

  it('reads a file whose first line is not JSON as one JSON text, refused as such', () => {
    const r = parse(`{"type":\n"payment"`);
    expect(r).toEqual({
      ok: false,
      reason: 'not-json',
      detail: expect.stringMatching(/^not JSON: /),
      retryable: true,
    });
    // One JSON value per line, but only one line: that is plain JSON, and the syntax error
    // says where.
    expect(parse(`{"type": "payment",}`)).toMatchObject({
      reason: 'not-json',
      detail: expect.stringMatching(/^not JSON: .*line 1/),
    });
  });
});
