import { z } from 'zod';
import { cronProblem } from '../core/cron.js';
import { timeZoneProblem } from '../core/zone-names.js';
import {
  DEFAULT_OPT_OUT_WORDS,
  DEFAULT_STATUS_CLASSES,
  overlappingCodes,
} from '../core/outcomes.js';

/** IANA names only: abbreviations such as BST or IST are refused (see core/zone-names.ts). */
const timeZone = z.string().superRefine((s, ctx) => {
  const problem = timeZoneProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** Validated by the same parser, with the same options, as the service schedules with. */
const cronExpr = z.string().superRefine((s, ctx) => {
  const problem = cronProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const remotePath = z
  .string()
  .min(1)
  .refine((s) => s.startsWith('/'), { message: 'must be an absolute path on the server' });

/** SHA256 fingerprint exactly as `ssh-keygen -lf` prints it. */
export const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

const sftpSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  password: z.string().min(1).optional(),
  /** A file holding the password (mode 0600 or tighter), instead of an inline password. */
  passwordFile: z.string().min(1).optional(),
  privateKeyPath: z.string().min(1).optional(),
  passphrase: z.string().optional(),
  /** A file holding the private key's passphrase (mode 0600 or tighter). */
  passphraseFile: z.string().min(1).optional(),
  hostKeyFingerprint: z
    .string()
    .regex(FINGERPRINT_RE, {
      message:
        'must look like "SHA256:" followed by 43 base64 characters, as `ssh-keygen -lf` prints it',
    })
    .optional(),
  remoteDir: remotePath.default('/webhooks'),
  pattern: z.string().min(1).default('*.json'),
  afterIngest: z.enum(['move', 'delete', 'keep']).default('move'),
  processedDir: remotePath.optional(),
  errorDir: remotePath.optional(),
  minFileAgeSeconds: z.number().min(0).default(5),
  maxFileBytes: z.number().int().min(1).default(1_048_576),
  maxEventsPerFile: z.number().int().min(1).default(10_000),
  maxFilesPerPoll: z.number().int().min(1).default(5000),
  parseGraceSeconds: z.number().min(0).default(300),
  concurrency: z.number().int().min(1).max(1024).default(256),
  connectTimeoutSeconds: z.number().min(1).default(20),
  operationTimeoutSeconds: z.number().min(1).default(60),
  keepaliveIntervalSeconds: z.number().min(0).default(10),
  /** `run` keeps its SSH session between polls; unused this long, it is closed (0: every poll connects). */
  sessionIdleSeconds: z.number().min(0).default(300),
});

const statusLabels = z.record(
  z.string().regex(/^-?\d+$/, { message: 'status codes are integers' }),
  z.string(),
);

const codeList = z.array(z.string().min(1)).refine((xs) => new Set(xs).size === xs.length, {
  message: 'lists a code twice',
});
const statusClasses = z
  .strictObject({
    delivered: codeList.default([...DEFAULT_STATUS_CLASSES.delivered]),
    failed: codeList.default([...DEFAULT_STATUS_CLASSES.failed]),
    unconfirmed: codeList.default([...DEFAULT_STATUS_CLASSES.unconfirmed]),
  })
  .superRefine((classes, ctx) => {
    for (const { code, classes: cs } of overlappingCodes(classes)) {
      ctx.addIssue({
        code: 'custom',
        path: [cs[1] ?? ''],
        message: `code "${code}" is listed in both ${cs.map((c) => `export.statusClasses.${c}`).join(' and ')}; a code belongs to one class (a class not set keeps its default list)`,
      });
    }
  })
  .prefault({});

/** A file mode written as an octal string ("0640"), read as its number. */
const octalMode = z
  .string()
  .regex(/^0?[0-7]{3}$/, { message: 'must be an octal mode like "0640"' })
  .transform((m) => parseInt(m, 8));

/** One strict schema with every default inside; `safeParse` it once at the edge. */
export const configSchema = z.strictObject({
  sftp: sftpSchema,
  source: z.strictObject({ timezone: timeZone.default('UTC') }).prefault({}),
  database: z
    .strictObject({
      path: z.string().min(1).default('data/webio.sqlite'),
      busyTimeoutMs: z.number().int().min(0).default(10_000),
    })
    .prefault({}),
  export: z
    .strictObject({
      dir: z.string().min(1).default('data/exports'),
      timezone: timeZone.default('Europe/London'),
      escapeFormulas: z.boolean().default(true),
      bom: z.boolean().default(false),
      statusLabels: statusLabels.default({}),
      statusClasses,
      addressMode: z.enum(['plain', 'hash', 'mask']).default('plain'),
      formats: z
        .array(z.enum(['csv', 'parquet']))
        .refine((fs) => fs.includes('csv'), {
          message:
            'must include "csv" (the CSV files are always written): ["csv"] or ["csv", "parquet"]',
        })
        .refine((fs) => new Set(fs).size === fs.length, { message: 'lists a format twice' })
        .default(['csv']),
      fileMode: octalMode.prefault('0640'),
      dirMode: octalMode.prefault('0750'),
      optOutWords: z
        .array(z.string().refine((w) => w.trim() !== '', { message: 'must not be blank' }))
        .default([...DEFAULT_OPT_OUT_WORDS]),
    })
    .prefault({}),
  schedule: z
    .strictObject({
      poll: cronExpr.default('* * * * *'),
      export: cronExpr.default('15 0 * * *'),
      timezone: timeZone.optional(),
      maxBackoffSeconds: z.number().min(0).default(900),
    })
    .prefault({}),
  retention: z
    .strictObject({
      processedDays: z.number().int().min(1).nullable().default(30),
      errorDays: z.number().int().min(1).nullable().default(null),
      exportDays: z.number().int().min(1).nullable().default(null),
      storeDays: z.number().int().min(1).nullable().default(null),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      port: z.number().int().min(1).max(65535).nullable().default(null),
      host: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  service: z
    .strictObject({
      silenceWarningMinutes: z.number().min(1).default(180),
      shutdownTimeoutSeconds: z.number().min(1).default(20),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    })
    .prefault({}),
});

export type RawConfig = z.input<typeof configSchema>;
type ParsedConfig = z.output<typeof configSchema>;

/** The validated configuration, with derived paths filled in. */
export type Config = ParsedConfig & {
  sftp: ParsedConfig['sftp'] & { processedDir: string; errorDir: string };
  /** From env WEBIO_REPORTS_HASH_KEY, only with export.addressMode "hash"; never logged. */
  export: ParsedConfig['export'] & { hashKey?: string | undefined };
  schedule: ParsedConfig['schedule'] & { timezone: string };
};
