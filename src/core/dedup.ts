import type { MessageType, ParsedMessage } from './events.js';

export type Table = 'sends' | 'inbound' | 'statuses';
/** The typed tables, one per message type. */
export const TABLES: readonly Table[] = ['sends', 'inbound', 'statuses'];

/** The typed table each message type lands in. */
export const TABLE_OF: Record<MessageType, Table> = {
  messageSend: 'sends',
  inboundMessage: 'inbound',
  messageStatusUpdate: 'statuses',
};

/** What a typed row holds, enough to tell a duplicate from a conflict. */
export type TypedFields = Pick<
  ParsedMessage,
  | 'conversationId'
  | 'outboundChannelAddress'
  | 'inboundChannelAddress'
  | 'customerUID'
  | 'body'
  | 'statusCode'
  | 'dateMs'
>;

/**
 * The dedup key: sends and inbound by communicationActionId, statuses by
 * (communicationActionId, statusCode).
 */
export function dedupKey(m: ParsedMessage): string {
  return m.type === 'messageStatusUpdate'
    ? `${TABLE_OF[m.type]}\u0000${m.communicationActionId}\u0000${m.statusCode}`
    : `${TABLE_OF[m.type]}\u0000${m.communicationActionId}`;
}

/** What became of an incoming message against the store: stored, or a repeat of a stored one. */
export type DedupOutcome = 'new' | 'duplicate' | 'conflict';

/**
 * Classifies an incoming message against the row already stored under its key: none is
 * new, the same content is a duplicate, anything else is a conflict (the stored row wins).
 */
export function classifyMessage(
  stored: TypedFields | undefined,
  incoming: ParsedMessage,
): DedupOutcome {
  if (!stored) return 'new';
  const same =
    stored.conversationId === incoming.conversationId &&
    stored.outboundChannelAddress === incoming.outboundChannelAddress &&
    stored.inboundChannelAddress === incoming.inboundChannelAddress &&
    stored.customerUID === incoming.customerUID &&
    stored.body === incoming.body &&
    stored.statusCode === incoming.statusCode &&
    stored.dateMs === incoming.dateMs;
  return same ? 'duplicate' : 'conflict';
}
