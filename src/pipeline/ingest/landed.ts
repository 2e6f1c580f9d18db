import { createHash } from 'node:crypto';
import type { FileVersion, Source } from '../ports.js';

/** A version the store holds: what was read, and the hash of its bytes. */
export type StoredVersion = FileVersion & { contentHash: string };

/** How the version found at a path differs from the one stored, or `same`. */
export type Difference = 'same' | 'grew' | 'shrank' | 'rewritten';

/**
 * Compares the version at `path` (as `found` says, when known) with the stored one. Size
 * decides at once; an equal size with another modification time is settled by the bytes
 * (a server may set the time on a rename, a `touch` changes nothing stored). The one
 * version this cannot tell apart is the same size with the same modification second and
 * other bytes: a client that preserves timestamps, writing within the window (README).
 */
export async function compareWithStored(
  source: Source,
  path: string,
  found: FileVersion | undefined,
  stored: StoredVersion,
): Promise<Difference> {
  const at = found ?? (await source.stat(path));
  // Taken away at once by someone else: what was taken cannot be checked, and nothing is
  // left that could be lost here.
  if (!at) return 'same';
  if (at.size > stored.size) return 'grew';
  if (at.size < stored.size) return 'shrank';
  if (at.mtimeMs === stored.mtimeMs) return 'same';
  return (await hashAt(source, path, stored)) === stored.contentHash ? 'same' : 'rewritten';
}

/** How much of an oversized file is kept in the quarantine record, and hashed. */
export const QUARANTINE_HEAD_BYTES = 64 * 1024;

/**
 * The content hash of the file at `path`, computed as the stored one was: of the whole file,
 * or for an oversized one (`head:<hash>:<size>`) of its head.
 */
export async function hashAt(
  source: Source,
  path: string,
  stored: StoredVersion,
): Promise<string | undefined> {
  if (stored.contentHash.startsWith('head:')) {
    const head = await source.readHead(path, Math.min(QUARANTINE_HEAD_BYTES, stored.size));
    return headHash(head.bytes, head.size);
  }
  const now = await source.read(path, stored.size, stored.size);
  if (!now.complete) return undefined;
  return sha256(now.bytes);
}

/** sha256 of bytes, hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The hash of an oversized file: its head's hash alone would not identify it, its size joins. */
export function headHash(head: Uint8Array, size: number): string {
  return `head:${sha256(head)}:${size}`;
}
