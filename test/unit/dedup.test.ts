import { describe, expect, it } from 'vitest';
import { classifyMessage, dedupKey } from '../../src/core/dedup.js';
import type { ParsedMessage } from '../../src/core/events.js';

const send: ParsedMessage = {
  type: 'messageSend',
  communicationActionId: '220860',
  conversationId: '97226',
  outboundChannelAddress: '447700900123',
  inboundChannelAddress: 'WhatsApp QA Test',
  customerUID: '',
  body: 'hello',
  statusCode: '1',
  dateCreated: '2021-01-28 12:22:15.397',
  dateMs: 1611836535397,
};

describe('dedup rules', () => {
  it('keys sends and inbound by id, statuses by id and code', () => {
    expect(dedupKey(send)).toBe('sends\u0000220860');
    expect(dedupKey({ ...send, type: 'inboundMessage' })).toBe('inbound\u0000220860');
    expect(dedupKey({ ...send, type: 'messageStatusUpdate', statusCode: '2' })).toBe(
      'statuses\u0000220860\u00002',
    );
    expect(dedupKey({ ...send, type: 'messageStatusUpdate', statusCode: '3' })).not.toBe(
      dedupKey({ ...send, type: 'messageStatusUpdate', statusCode: '2' }),
    );
  });

  it('calls an unseen key new, the same content a duplicate, anything else a conflict', () => {
    expect(classifyMessage(undefined, send)).toBe('new');
    expect(classifyMessage({ ...send }, send)).toBe('duplicate');
    expect(classifyMessage({ ...send, body: 'other' }, send)).toBe('conflict');
    expect(classifyMessage({ ...send, dateMs: send.dateMs + 1 }, send)).toBe('conflict');
    expect(classifyMessage({ ...send, customerUID: 'C1' }, send)).toBe('conflict');
  });

  it.each([
    'conversationId',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'customerUID',
    'body',
    'statusCode',
  ] as const)('calls a row differing only in %s a conflict', (field) => {
    expect(classifyMessage({ ...send, [field]: `${send[field]}x` }, send)).toBe('conflict');
    expect(classifyMessage(send, { ...send, [field]: `${send[field]}x` })).toBe('conflict');
  });
});
