/**
 * Realistic, deterministic Webio webhook files: sends, inbound messages and delivery
 * statuses over a few days, with repeated deliveries, a conflicting edit, a status arriving
 * days after its send, other event types, numbers for ids, NDJSON, and one broken file.
 * Pure: the caller writes the files.
 */
export type SampleFile = { name: string; content: string; mtimeMs: number };

export type SampleOptions = {
  files: number;
  /** Dates run up to this instant. */
  nowMs: number;
  days?: number;
  seed?: number;
  /** Share of files that repeat an earlier payload byte for byte under a new name. */
  duplicateRate?: number;
  /** Add the special cases (conflict, late status, other types, NDJSON, a broken file). */
  extras?: boolean;
  /** JSON.stringify indentation (Webio pretty-prints). */
  indent?: number;
  /** The first communicationActionId (and conversation number) to use, so batches never collide. */
  firstId?: number;
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHANNELS = ['WhatsApp QA Test', 'WhatsApp Support', 'SMS Billing', 'Webchat – Sales'];
const INBOUND = [
  "No I don't",
  'Yes please',
  'STOP',
  ' Stop ',
  'unsubscribe',
  'stop sending me these please',
  'ok 👍',
  'Can you call me back?',
  'I paid £45.20 yesterday, why is it still showing?',
  'He said "it\'s fine" but it isn\'t',
  "My address is 12, Rue de l'Église, Zürich",
  'Thanks!\nSee you tomorrow',
  '=1+1 is what the form said',
  '谢谢你的帮助',
  '🙏 thank you so much 😀',
];
const OUTBOUND = [
  'Your order #{n} has shipped.',
  'Hi {name}, your appointment is on {d} at 10:30. Reply YES to confirm, NO to cancel.',
  'Please reply "YES" or "NO".',
  "We've received your payment of £{amt}, thank you!",
  'Thanks for contacting us 😊\nAn agent will reply shortly.',
  '-- automated reminder --',
];
const NAMES = ['Ana', 'Björn', 'Chloé', 'Dmitri', 'Fatima', 'Håkon', 'José', 'Zoë', "O'Neil"];
// The delivery reports one send gets, in order: most are delivered, some fail first.
const OUTCOME_SEQUENCES = [
  ['0'],
  ['0'],
  ['0'],
  ['0'],
  ['3', '0'],
  ['2'],
  ['5'],
  ['1'],
  ['12'],
  ['3', '5'],
  ['14'],
  ['14', '0'],
];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Webio's "YYYY-MM-DD HH:MM:SS.mmm" (UTC wall clock). */
export function webioDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** Generates `files` webhook files; names are unique and sort in delivery order. */
export function generateSampleFiles(opts: SampleOptions): SampleFile[] {
  const rnd = mulberry32(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const indent = opts.indent ?? 2;
  const days = opts.days ?? 3;
  const dupRate = opts.duplicateRate ?? 0.05;
  const start = opts.nowMs - days * 86_400_000;
  const step = (days * 86_400_000) / Math.max(1, opts.files);
  const out: SampleFile[] = [];
  const sends: { id: string; conv: Conv; outcomes: string[] }[] = [];
  const history: SampleFile[] = [];
  let nextId = opts.firstId ?? 220_000;
  let clock = start;
  type Conv = {
    conversationId: string;
    outboundChannelAddress: string;
    inboundChannelAddress: string;
    customerUID: string;
  };
  const convs: Conv[] = [];
  const conversation = (): Conv => {
    if (!convs.length || rnd() < 0.1) {
      convs.push({
        conversationId: String((opts.firstId ?? 97_000) + convs.length * 7),
        outboundChannelAddress: `4477009${pad(int(0, 99999), 5)}`,
        inboundChannelAddress: pick(CHANNELS),
        customerUID: rnd() < 0.6 ? '' : `CUST-${int(100000, 999999)}`,
      });
    }
    return convs[convs.length - 1 - Math.floor(rnd() * Math.min(convs.length, 20))] as Conv;
  };
  const emit = (name: string, body: unknown, mtimeMs: number, raw?: string) => {
    const file = { name, content: raw ?? `${JSON.stringify(body, null, indent)}\n`, mtimeMs };
    out.push(file);
    return file;
  };
  const fill = (t: string) =>
    t
      .replace('{n}', String(int(10000, 99999)))
      .replace('{name}', pick(NAMES))
      .replace('{d}', `${int(1, 28)}/${pad(int(1, 12))}`)
      .replace('{amt}', `${int(1, 999)}.${pad(int(0, 99))}`);

  for (let n = 1; out.length < opts.files; n++) {
    clock += Math.floor(rnd() * 2 * step);
    const seq = pad(n, 7);
    if (history.length && rnd() < dupRate) {
      const h = pick(history);
      emit(`${h.name.replace(/-\d+\.json$/, '')}-${seq}.json`, undefined, clock, h.content);
      continue;
    }
    const r = rnd();
    let file: SampleFile;
    const pending = sends.filter((s) => s.outcomes.length > 0);
    if (r < 0.4 && pending.length) {
      const s = pending[
        pending.length - 1 - Math.floor(rnd() ** 3 * pending.length)
      ] as (typeof sends)[number];
      const statusCode = s.outcomes.shift() as string;
      file = emit(
        `messageStatusUpdate-${s.id}-${seq}.json`,
        {
          type: 'messageStatusUpdate',
          ...s.conv,
          communicationActionId: s.id,
          statusCode,
          dateCreated: webioDate(clock),
        },
        clock,
      );
    } else if (r < 0.7) {
      const conv = conversation();
      const id = String(nextId++);
      sends.push({ id, conv, outcomes: [...pick(OUTCOME_SEQUENCES)] });
      if (sends.length > 300) sends.shift();
      file = emit(
        `messageSend-${id}-${seq}.json`,
        {
          type: 'messageSend',
          ...conv,
          communicationActionId: id,
          body: fill(pick(OUTBOUND)),
          statusCode: '1',
          dateCreated: webioDate(clock),
        },
        clock,
      );
    } else {
      const conv = conversation();
      const id = String(nextId++);
      file = emit(
        `inboundMessage-${id}-${seq}.json`,
        {
          type: 'inboundMessage',
          ...conv,
          communicationActionId: id,
          body: pick(INBOUND),
          dateCreated: webioDate(clock),
        },
        clock,
      );
    }
    history.push(file);
    if (history.length > 500) history.shift();
  }

  if (opts.extras ?? true) {
    const first = sends[0];
    const conv = conversation();
    const last = opts.nowMs - 60_000;
    if (first) {
      // A delivery report for an early send (code 14, "Unconfirmed"), arriving last, dated
      // days after the send.
      emit(
        `messageStatusUpdate-${first.id}-late.json`,
        {
          type: 'messageStatusUpdate',
          ...first.conv,
          communicationActionId: Number(first.id),
          statusCode: 14,
          dateCreated: webioDate(last - 30_000),
        },
        last,
      );
      // The same send again with an edited body: a conflict (the first stored wins).
      const original = out.find((f) => f.name.startsWith(`messageSend-${first.id}-`));
      if (original) {
        const edited = {
          ...(JSON.parse(original.content) as Record<string, unknown>),
          body: 'Edited after sending',
        };
        emit(`messageSend-${first.id}-edited.json`, edited, last);
      }
    }
    emit(
      'payment-1.json',
      { type: 'payment', ...conv, amount: '45.20', currency: 'GBP', dateCreated: webioDate(last) },
      last,
    );
    const ndjson = [
      { type: 'setStatus', ...conv, status: 'Resolved', dateCreated: webioDate(last) },
      { type: 'conversationClosed', ...conv, dateCreated: webioDate(last) },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    emit('conversation-events.ndjson.json', undefined, last, `${ndjson}\n`);
    emit(
      'broken-upload.json',
      undefined,
      last - 3_600_000,
      '{"type": "inboundMessage", "communicationActionId": "9", "body": "cut sh',
    );
  }
  return out;
}
