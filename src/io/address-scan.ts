import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { byteMentionScanner, type ScannedEncoding } from '../core/address-bytes.js';
import { mentionScanner } from '../core/address-mentions.js';

/**
 * How a file held the address: as bytes in one of the scanned encodings, or as a value of a
 * Parquet file (its pages are compressed: a byte scan cannot see what they hold).
 */
export type MentionForm = ScannedEncoding | 'parquet values' | 'unreadable parquet';

/** A file in which a byte check found an address, and in which forms. */
export type FileMention = { file: string; encodings: MentionForm[] };

/** What a byte check read and found. */
export type ScanResult = { files: number; bytes: number; found: FileMention[] };

const CHUNK = 1 << 20;

/**
 * Reads every byte of `files` (those that exist) and reports each one that mentions `key`
 * (core/address-mentions.ts), in a stream of 1 MiB chunks: a store of many gigabytes is
 * read in bounded memory.
 */
export async function scanFilesForAddress(
  files: readonly string[],
  key: string,
): Promise<ScanResult> {
  const result: ScanResult = { files: 0, bytes: 0, found: [] };
  const buffer = Buffer.alloc(CHUNK);
  for (const file of files) {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const scanner = byteMentionScanner(key);
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        scanner.push(buffer.subarray(0, bytesRead));
        result.bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
    scanner.end();
    result.files++;
    const encodings: MentionForm[] = Object.keys(scanner.found) as ScannedEncoding[];
    if (file.endsWith('.parquet')) {
      const values = await parquetValuesMention(file, key);
      if (values) encodings.push(values);
    }
    if (encodings.length) result.found.push({ file, encodings });
  }
  return result;
}

/**
 * `scanFilesForAddress`, reading the files of `locked` (those this process holds SQLite locks
 * on: the store, its -wal and -shm, the write lock's file) in a child process: POSIX drops
 * every lock a process holds on a file when it closes any descriptor of that file, so
 * reading them here would let another writer in while `erase` still runs, and let another
 * connection that closes delete a WAL this process still uses. Results in `files` order.
 */
export async function scanFilesKeepingLocks(
  files: readonly string[],
  key: string,
  locked: readonly string[],
): Promise<ScanResult> {
  const own = new Set(locked);
  const there = await scanFilesInChildProcess(
    files.filter((f) => own.has(f)),
    key,
  );
  const here = await scanFilesForAddress(
    files.filter((f) => !own.has(f)),
    key,
  );
  const order = new Map(files.map((f, i) => [f, i]));
  return {
    files: there.files + here.files,
    bytes: there.bytes + here.bytes,
    found: [...there.found, ...here.found].sort(
      (a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0),
    ),
  };
}

/** `scanFilesForAddress` in a process of its own (address-scan-child.ts). */
function scanFilesInChildProcess(files: readonly string[], key: string): Promise<ScanResult> {
  if (files.length === 0) return Promise.resolve({ files: 0, bytes: 0, found: [] });
  const entry = fileURLToPath(new URL('./address-scan-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(JSON.parse(out) as ScanResult);
        return;
      }
      // The first line of a Node error is its message (a stack follows).
      const why = err.split('\n').find((l) => /Error/.test(l)) ?? err.split('\n')[0] ?? '';
      reject(
        new Error(
          `the byte check of the store's files failed (${signal ?? `exit ${code}`}): ${why.trim()}`,
        ),
      );
    });
    child.stdin.end(JSON.stringify({ files, key }));
  });
}

/**
 * Reads a Parquet file's text values (every id, address, body and payload: the columns an
 * address can be in), a row group at a time, for `key`: 'parquet values' when one mentions
 * it. A file that cannot be read as Parquet cannot be shown to be free of it: 'unreadable
 * parquet'.
 */
async function parquetValuesMention(file: string, key: string): Promise<MentionForm | undefined> {
  const scanner = mentionScanner(key);
  const buffer = await asyncBufferFromFile(file);
  try {
    const metadata = await parquetMetadataAsync(buffer);
    // The text columns only (BYTE_ARRAY): a number, an instant or a date holds no address.
    const columns = metadata.schema.filter((e) => e.type === 'BYTE_ARRAY').map((e) => e.name);
    let rowStart = 0;
    for (const group of columns.length ? metadata.row_groups : []) {
      const rowEnd = rowStart + Number(group.num_rows);
      await parquetRead({
        file: buffer,
        metadata,
        columns,
        rowStart,
        rowEnd,
        onComplete: (rows) => {
          for (const row of rows as unknown[][])
            for (const value of row) {
              if (typeof value !== 'string') continue;
              scanner.push(value);
              // Cells apart: two values never join into one longer number.
              scanner.push('\n');
            }
        },
      });
      rowStart = rowEnd;
    }
  } catch (err) {
    // The system failing to read (EMFILE, EIO) is no finding about the file: said as it is.
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw err;
    return 'unreadable parquet';
  }
  scanner.end();
  return scanner.count > 0 ? 'parquet values' : undefined;
}

/** Every regular file under `dir`, at any depth (none when it does not exist); links are not followed. */
export async function filesUnder(dir: string): Promise<string[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
