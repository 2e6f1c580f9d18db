import { posix } from 'node:path';
import type { RemoteEntry } from '../../src/core/select-files.js';
import { SftpError } from '../../src/errors.js';
import type { FileVersion, ReadFile, Source } from '../../src/pipeline/ports.js';

type File = { bytes: Buffer; mtimeMs: number };

/**
 * An SFTP folder in memory, implementing our own `Source` port with the semantics the real
 * one has (renames never overwrite, reads go to the end of the file, listings come in
 * chunks of 25 names as ProFTPD sends them): the ingest pipeline runs against it in
 * milliseconds. `delays` makes reads finish out of order; `hooks` change files at exact
 * points.
 */
export class MemorySource implements Source {
  readonly files = new Map<string, File>();
  readonly dirs = new Set<string>(['/']);
  /** Every read, in the order they were asked for. */
  readonly reads: string[] = [];
  /** Milliseconds a read of a path waits before it answers. */
  delays = new Map<string, number>();
  /** Called right after a read of a path returns its bytes. */
  afterRead: ((path: string) => void) | undefined;
  /** Set to make every later request fail as a lost connection does. */
  dropped = false;

  constructor(readonly nowMs = Date.UTC(2026, 0, 10)) {}

  /** Puts a file in the folder, `ageSeconds` old. */
  put(path: string, content: string | Buffer, ageSeconds = 60): void {
    this.dirs.add(posix.dirname(path));
    this.files.set(path, {
      bytes: Buffer.from(content),
      mtimeMs: Math.floor((this.nowMs - ageSeconds * 1000) / 1000) * 1000,
    });
  }

  /** The names directly in a folder, sorted. */
  names(dir: string): string[] {
    return [...this.files.keys(), ...this.dirs]
      .filter((p) => p !== dir && posix.dirname(p) === dir)
      .map((p) => posix.basename(p))
      .sort();
  }

  private check(path: string): void {
    if (this.dropped) throw new SftpError('read', `${path}: the server closed the connection`);
  }

  private notFound(stage: string, path: string): SftpError {
    return new SftpError(stage, `${path}: no such file`, { kind: 'not-found' });
  }

  async list(dir: string): Promise<RemoteEntry[]> {
    const all: RemoteEntry[] = [];
    await this.listEach(dir, (e) => all.push(...e));
    return all;
  }

  async listEach(dir: string, visit: (entries: RemoteEntry[]) => void): Promise<void> {
    this.check(dir);
    const entries = this.names(dir).map((name): RemoteEntry => {
      const path = posix.join(dir, name);
      const f = this.files.get(path);
      return f
        ? { name, size: f.bytes.length, mtimeMs: f.mtimeMs, isFile: true, kind: 'file' }
        : { name, size: 0, mtimeMs: 0, isFile: false, kind: 'directory' };
    });
    for (let i = 0; i < entries.length; i += 25) visit(entries.slice(i, i + 25));
  }

  async read(path: string, limit: number): Promise<ReadFile> {
    this.reads.push(path);
    const delay = this.delays.get(path);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    this.check(path);
    const f = this.files.get(path);
    if (!f) throw this.notFound('open', path);
    const got: ReadFile = {
      size: f.bytes.length,
      mtimeMs: f.mtimeMs,
      bytes: Buffer.from(f.bytes.subarray(0, limit)),
      complete: f.bytes.length <= limit,
    };
    this.afterRead?.(path);
    return got;
  }

  async readHead(path: string, bytes: number): Promise<ReadFile> {
    this.check(path);
    const f = this.files.get(path);
    if (!f) throw this.notFound('open', path);
    return {
      size: f.bytes.length,
      mtimeMs: f.mtimeMs,
      bytes: Buffer.from(f.bytes.subarray(0, bytes)),
      complete: f.bytes.length <= bytes,
    };
  }

  async move(from: string, to: string): Promise<FileVersion | undefined> {
    this.check(from);
    const f = this.files.get(from);
    if (!f) throw this.notFound('rename', from);
    if (this.files.has(to) || this.dirs.has(to))
      throw new SftpError('rename', `${to} already exists`, { kind: 'exists' });
    if (!this.dirs.has(posix.dirname(to))) throw this.notFound('rename', to);
    this.files.delete(from);
    this.files.set(to, f);
    return { size: f.bytes.length, mtimeMs: f.mtimeMs };
  }

  async stat(path: string): Promise<FileVersion | undefined> {
    this.check(path);
    const f = this.files.get(path);
    if (f) return { size: f.bytes.length, mtimeMs: f.mtimeMs };
    return this.dirs.has(path) ? { size: 0, mtimeMs: 0 } : undefined;
  }

  async remove(path: string): Promise<void> {
    this.check(path);
    if (!this.files.delete(path)) throw this.notFound('delete', path);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  async ensureDir(path: string): Promise<boolean> {
    this.check(path);
    if (this.dirs.has(path)) return false;
    if (!this.dirs.has(posix.dirname(path))) throw this.notFound('mkdir', path);
    this.dirs.add(path);
    return true;
  }

  async close(): Promise<void> {}
}
