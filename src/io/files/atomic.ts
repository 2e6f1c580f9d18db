import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { ExportWriteError } from '../../errors.js';
import type { ExportChunk } from '../../pipeline/export/ports.js';
import { DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, makeDirs } from './modes.js';
import { tempNameFor } from './export-files.js';

export type WrittenFile = { path: string; bytes: number; sha256: string; unchanged: boolean };

type WriteOptions = {
  /** The new files' mode, whatever the umask (default 0640). */
  fileMode?: number;
  /** The mode of folders this creates, whatever the umask (default 0750). */
  dirMode?: number;
};

/**
 * Writes a file atomically: into a new temp file in the same folder (created exclusively
 * under an unguessable name), fsync, rename over the target, fsync the folder. On any
 * failure the temp file is removed and the previous file stays intact. When the content
 * hashes to `unchangedSha` (or, with `compareWithTarget`, to the target's own hash) and the
 * target is there with that size, the target is left untouched: its bytes and its
 * modification time stay as they were.
 */
export async function writeFileAtomic(
  target: string,
  chunks: AsyncIterable<string> | Iterable<string>,
  options: WriteOptions & { unchangedSha?: string | undefined; compareWithTarget?: boolean } = {},
): Promise<WrittenFile> {
  async function* tagged(): AsyncGenerator<ExportChunk> {
    for await (const data of chunks) yield { file: 0, data };
  }
  const unchangedSha = options.compareWithTarget ? await sha256Of(target) : options.unchangedSha;
  const [file] = await writeFilesAtomic([{ path: target, unchangedSha }], tagged(), options);
  return file as WrittenFile;
}

/** One file being written: its temp file, hash and the bytes not yet written down. */
type Open = {
  target: string;
  tmp: string;
  unchangedSha: string | undefined;
  handle?: fs.promises.FileHandle;
  hash: Hash;
  bytes: number;
  pending: Buffer[];
  pendingBytes: number;
};

/**
 * Writes several files from one stream of chunks (`file` is the index of the target), each
 * atomically as `writeFileAtomic` does: a report's day as CSV and Parquet from one pass over
 * its rows. Chunks are taken one at a time, so a slow disk holds the producer back. On any
 * failure every temp file is removed and every previous file stays intact; the renames
 * happen only once every file is written and synced.
 */
export async function writeFilesAtomic(
  targets: readonly { path: string; unchangedSha?: string | undefined }[],
  chunks: AsyncIterable<ExportChunk> | Iterable<ExportChunk>,
  options: WriteOptions = {},
): Promise<WrittenFile[]> {
  const suffix = randomBytes(8).toString('hex');
  const files: Open[] = targets.map((t) => ({
    target: t.path,
    tmp: tempNameFor(t.path, suffix),
    unchangedSha: t.unchangedSha,
    hash: createHash('sha256'),
    bytes: 0,
    pending: [],
    pendingBytes: 0,
  }));
  let current: Open | undefined;
  try {
    const mode = options.fileMode ?? DEFAULT_FILE_MODE;
    for (const f of files) {
      current = f;
      await makeDirs(path.dirname(f.target), options.dirMode ?? DEFAULT_DIR_MODE);
      f.handle = await fs.promises.open(f.tmp, 'wx', mode);
      // open's mode passes through the umask; the configured mode is what the operator asked.
      await f.handle.chmod(mode);
    }
    current = undefined;
    for await (const chunk of chunks) {
      const f = files[chunk.file];
      if (!f) throw new Error(`a chunk for file ${chunk.file} of ${files.length}`);
      const buf =
        typeof chunk.data === 'string'
          ? Buffer.from(chunk.data, 'utf8')
          : Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
      f.hash.update(buf);
      f.bytes += buf.length;
      f.pending.push(buf);
      f.pendingBytes += buf.length;
      if (f.pendingBytes >= 1 << 20) {
        current = f;
        await flush(f);
        current = undefined;
      }
    }
    const out: WrittenFile[] = [];
    for (const f of files) {
      current = f;
      await flush(f);
      const sha256 = f.hash.digest('hex');
      const handle = f.handle as fs.promises.FileHandle;
      const unchanged = f.unchangedSha === sha256 && (await sizeOf(f.target)) === f.bytes;
      if (!unchanged) await handle.sync();
      await handle.close();
      delete f.handle;
      out.push({ path: f.target, bytes: f.bytes, sha256, unchanged });
    }
    current = undefined;
    for (const [i, f] of files.entries()) {
      current = f;
      if (out[i]?.unchanged) await fs.promises.rm(f.tmp, { force: true });
      else {
        await fs.promises.rename(f.tmp, f.target);
        await syncDir(path.dirname(f.target));
      }
    }
    return out;
  } catch (err) {
    for (const f of files) {
      await f.handle?.close().catch(() => undefined);
      await fs.promises.rm(f.tmp, { force: true }).catch(() => undefined);
    }
    // The file the failure belongs to; a failing source of chunks is the first file's.
    const failed = current ?? files[0];
    throw new ExportWriteError(failed?.target ?? '', err);
  }
}

/** Writes down what a file holds in memory; loops over partial writes (a nearly full disk). */
async function flush(f: Open): Promise<void> {
  if (!f.pendingBytes || !f.handle) return;
  const buf = f.pending.length === 1 ? (f.pending[0] as Buffer) : Buffer.concat(f.pending);
  f.pending = [];
  f.pendingBytes = 0;
  // A write may be partial: loop until every byte is down, so a full disk surfaces as ENOSPC
  // instead of a silently truncated file.
  for (let off = 0; off < buf.length;) {
    const { bytesWritten } = await f.handle.write(buf, off, buf.length - off);
    if (bytesWritten === 0)
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

async function sha256Of(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await fs.promises.readFile(file))
      .digest('hex');
  } catch {
    return undefined;
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return undefined;
  }
}

/** Makes a rename durable: after a power loss the folder names the new file, not the old. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
