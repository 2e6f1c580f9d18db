import { z } from 'zod';
import cron from 'node-cron';
import { isValidTimeZone } from '../core/days.js';

const timeZone = z
  .string()
  .refine(isValidTimeZone, { message: 'not an IANA time zone (e.g. "Europe/London", "UTC")' });
const cronExpr = z.string().refine((s) => cron.validate(s), {
  message: 'not a cron expression (5 fields, or 6 with leading seconds)',
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
  privateKeyPath: z.string().min(1).optional(),
  passphrase: z.string().optional(),
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
  maxFilesPerPoll: z.number().int().min(1).default(5000),
  parseGraceSeconds: z.number().min(0).default(300),
  concurrency: z.number().int().min(1).max(256).default(128),
  connectTimeoutSeconds: z.number().min(1).default(20),
  operationTimeoutSeconds: z.number().min(1).default(60),
  keepaliveIntervalSeconds: z.number().min(0).default(10),
});

const statusLabels = z.record(
  z.string().regex(/^-?\d+$/, { message: 'status codes are integers' }),
  z.string(),
);

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
  schedule: ParsedConfig['schedule'] & { timezone: string };
};
