import { z } from 'zod';
import { parseWebioDate } from './days.js';

/** The event types with typed tables; every other `type` is kept in the raw ledger only. */
export const MESSAGE_TYPES = ['messageSend', 'inboundMessage', 'messageStatusUpdate'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(type: string): type is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(type);
}

/** Ids and codes arrive as strings; numbers are tolerated and kept as their exact string form. */
function exactText(v: string | number, ctx: z.RefinementCtx): string {
  if (typeof v === 'string') return v;
  if (!Number.isSafeInteger(v)) {
    ctx.addIssue({
      code: 'custom',
      message: 'a number too large (or not whole) to keep exactly; send it as a string',
    });
    return z.NEVER;
  }
  return String(v);
}
const idLike = z.union([z.string(), z.number()]).transform(exactText);
/** Kept exactly as sent (never trimmed or altered); blank is refused. */
const requiredId = idLike.pipe(
  z.string().refine((s) => s.trim() !== '', { message: 'must not be empty' }),
);
/**
 * Optional ids, addresses and codes: absent or null become ""; a number is kept as its
 * string form only when exact, as for the required ids (two 20-digit conversation ids that
 * a JSON number rounds alike would join conversations). (`.optional()` is what makes the key
 * optional in an object; a union member `z.undefined()` does not.)
 */
const optionalId = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v, ctx) => (v === null || v === undefined ? '' : exactText(v, ctx)));
/** A message body: absent or null become ""; a number is tolerated as its string form. */
const optionalText = z
  .union([z.string(), z.number().transform(String), z.null()])
  .optional()
  .transform((v) => v ?? '');
const dateCreated = z.string().refine((s) => parseWebioDate(s, 'UTC') !== undefined, {
  message: 'must be a date like "2021-01-28 12:22:15.397"',
});

const common = {
  type: z.string(),
  communicationActionId: requiredId,
  conversationId: optionalId,
  outboundChannelAddress: optionalId,
  inboundChannelAddress: optionalId,
  customerUID: optionalId,
  dateCreated,
};

/** zod schemas per message type; unknown fields pass through untouched (the raw ledger keeps them). */
export const eventSchemas = {
  messageSend: z.looseObject({ ...common, body: optionalText, statusCode: optionalId }),
  inboundMessage: z.looseObject({ ...common, body: optionalText }),
  messageStatusUpdate: z.looseObject({ ...common, statusCode: requiredId }),
} as const;

/** A message event after validation, with fields normalised to strings. */
export type ParsedMessage = {
  type: MessageType;
  communicationActionId: string;
  conversationId: string;
  outboundChannelAddress: string;
  inboundChannelAddress: string;
  customerUID: string;
  body: string;
  statusCode: string;
  /** As Webio sent it. */
  dateCreated: string;
  /** dateCreated read in source.timezone. */
  dateMs: number;
};

/** One event of a file: its canonical payload (for the ledger) and, for message types, its typed form. */
export type ParsedEvent = {
  type: string;
  /** Canonical JSON (keys sorted): two payloads are the same event exactly when these match. */
  payload: string;
  message?: ParsedMessage;
  /** For other-type events: their dateCreated read in source.timezone, when readable. */
  dateMs?: number;
};
