import fs from 'node:fs';
import path from 'node:path';
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
