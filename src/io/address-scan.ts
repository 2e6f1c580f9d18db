import fs from 'node:fs';
import path from 'node:path';
import { byteMentionScanner, type ScannedEncoding } from '../core/address-bytes.js';

/** A file in which a byte check found an address, and in which encodings. */
export type FileMention = { file: string; encodings: ScannedEncoding[] };

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
    const encodings = Object.keys(scanner.found) as ScannedEncoding[];
    if (encodings.length) result.found.push({ file, encodings });
  }
  return result;
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
