import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { ExportWriteError } from '../errors.js';
import { DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, makeDirs } from './file-modes.js';
import { tempNameFor } from './export-files.js';

export type WrittenFile = { path: string; bytes: number; sha256: string; unchanged: boolean };

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
  options: {
    unchangedSha?: string | undefined;
    compareWithTarget?: boolean;
    /** The new file's mode, whatever the umask (default 0640). */
    fileMode?: number;
    /** The mode of folders this creates, whatever the umask (default 0750). */
    dirMode?: number;
  } = {},
): Promise<WrittenFile> {
  const dir = path.dirname(target);
  const tmp = tempNameFor(target, randomBytes(8).toString('hex'));
  let unchanged = false;
  const hash = createHash('sha256');
  let bytes = 0;
  let handle: fs.promises.FileHandle | undefined;
  try {
    await makeDirs(dir, options.dirMode ?? DEFAULT_DIR_MODE);
    const mode = options.fileMode ?? DEFAULT_FILE_MODE;
    handle = await fs.promises.open(tmp, 'wx', mode);
    // open's mode passes through the umask; the configured mode is what the operator asked.
    await handle.chmod(mode);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (!pendingBytes || !handle) return;
      const buf =
        pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      // A write may be partial (a nearly full disk): loop until every byte is down, so a
      // full disk surfaces as ENOSPC instead of a silently truncated file.
      for (let off = 0; off < buf.length;) {
        const { bytesWritten } = await handle.write(buf, off, buf.length - off);
        if (bytesWritten === 0)
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        off += bytesWritten;
      }
    };
    for await (const chunk of chunks) {
      const buf = Buffer.from(chunk, 'utf8');
      hash.update(buf);
      bytes += buf.length;
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= 1 << 20) await flush();
    }
    await flush();
    const sha256 = hash.copy().digest('hex');
    const previousSha = options.compareWithTarget ? await sha256Of(target) : options.unchangedSha;
    if (previousSha === sha256 && (await sizeOf(target)) === bytes) {
      unchanged = true;
      await handle.close();
      handle = undefined;
      await fs.promises.rm(tmp, { force: true });
    } else {
      await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.promises.rename(tmp, target);
      await syncDir(dir);
    }
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw new ExportWriteError(target, err);
  }
  return { path: target, bytes, sha256: hash.digest('hex'), unchanged };
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
