import { posix } from 'node:path';
import type net from 'node:net';
import type { Socket } from 'node:net';
import type SftpClient from 'ssh2-sftp-client';
import type { SFTPWrapper, Stats } from 'ssh2';
import { entryKind, type RemoteEntry } from '../../core/select-files.js';
import { SftpError, describeError } from '../../errors.js';
import type { FileVersion, Log, ReadFile, Source } from '../../pipeline/ports.js';
import { connectSession, probeHostKey, type SftpSettings } from './connect.js';
import { SftpOpError } from './errors.js';
import { OpenGate } from './open-gate.js';

/** READDIR requests kept in flight while listing a folder. */
const READDIR_IN_FLIGHT = 8;

/** Bytes asked for beyond a file's expected end, to learn in the same round trip whether it grew. */
const GROWTH_PROBE_BYTES = 64 * 1024;

/** Times one file's open is tried again after the server refused it for a limit. */
const MAX_OPEN_RETRIES = 5;

/** One SSH connection with many SFTP requests in flight; the real `Source`. */
export class SftpSource implements Source {
  private readonly gate: OpenGate;

  private readonly batcher: TickBatcher;

  private constructor(
    private readonly client: SftpClient,
    private readonly sock: Socket,
    private readonly sftp: SFTPWrapper,
    private readonly opTimeoutMs: number,
    concurrency: number,
    private readonly log: Log | undefined,
  ) {
    // A server that announces how many handles it allows (OpenSSH's limits@openssh.com)
    // is taken at its word, less one for the folder being listed.
    const announced = (sftp as { maxOpenHandles?: number }).maxOpenHandles;
    this.gate = new OpenGate(
      announced !== undefined && Number.isFinite(announced)
        ? Math.min(concurrency, announced - 1)
        : concurrency,
    );
    this.batcher = new TickBatcher(sock);
    // A connection that drops fails every request in flight at once, not at its timeout.
    sock.on('close', () =>
      this.fail(new SftpError('connection', 'the server closed the connection')),
    );
    sock.on('error', (err: Error) =>
      this.fail(new SftpError('connection', describeError(err), { cause: err })),
    );
  }

  private readonly pending = new Set<(err: SftpError) => void>();

  /**
   * Fails every request in flight. The first cause wins: when this source ended a stalled
   * session itself, the requests fail with "no answer", not with the close that followed.
   */
  private fail(err: SftpError): void {
    this.broken ??= err;
    const reason = this.broken;
    for (const reject of this.pending) reject(reason);
    this.pending.clear();
  }

  /** False once the connection dropped, stalled or was closed: a kept session is replaced. */
  get alive(): boolean {
    return this.broken === undefined && !this.sock.destroyed;
  }

  /** Files that may be open on the server at once (lowered when the server refuses more). */
  get openLimit(): number {
    return this.gate.limit;
  }

  /**
   * Connects and authenticates (see `connectSession`): the host key is checked against the
   * pin before any credential is sent.
   */
  static async connect(s: SftpSettings, log?: Log): Promise<SftpSource> {
    const { client, sock, sftp } = await connectSession(s);
    return new SftpSource(client, sock, sftp, s.operationTimeoutSeconds * 1000, s.concurrency, log);
  }

  /** Connects only far enough to learn the server's host key; sends no credentials. */
  static probeHostKey(s: Parameters<typeof probeHostKey>[0]): ReturnType<typeof probeHostKey> {
    return probeHostKey(s);
  }

  /** Set once the session is known dead (a request timed out): later calls fail at once. */
  private broken: SftpError | undefined;

  private op<T>(
    stage: string,
    path: string,
    run: (done: (err: unknown, value?: T) => void) => void,
  ): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<T>((resolveOp, rejectOp) => {
      const settle = () => {
        clearTimeout(timer);
        this.pending.delete(abort);
      };
      const resolve = (v: T) => {
        settle();
        resolveOp(v);
      };
      const reject = (e: unknown) => {
        settle();
        rejectOp(e);
      };
      const abort = (e: SftpError) => reject(e);
      this.pending.add(abort);
      const timer = setTimeout(() => {
        const err = new SftpError(
          stage,
          `${path}: no answer from the server within ${this.opTimeoutMs / 1000} s`,
        );
        // A server that stops answering one request has stalled the whole session.
        this.broken ??= err;
        this.sock.destroy();
        reject(err);
      }, this.opTimeoutMs);
      try {
        this.batcher.batch();
        run((err, value) => {
          clearTimeout(timer);
          if (err) reject(new SftpOpError(stage, path, err));
          else resolve(value as T);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new SftpOpError(stage, path, err));
      }
    });
  }

  async list(dir: string): Promise<RemoteEntry[]> {
    const all: RemoteEntry[] = [];
    await this.listEach(dir, (entries) => {
      for (const e of entries) all.push(e);
    });
    return all;
  }

  /**
   * Lists a folder chunk by chunk, as the server sends them (about 100 names from OpenSSH, 25
   * from ProFTPD), keeping none: `visit` decides what to keep.
   */
  async listEach(dir: string, visit: (entries: RemoteEntry[]) => void): Promise<void> {
    const handle = await this.openHandle('list', dir, (done) =>
      this.sftp.opendir(dir, (err, h) => done(err, h)),
    );
    try {
      // Several READDIR requests in flight on one handle: the server answers them in order,
      // each with the next chunk, so a long folder costs a few round trips instead of one
      // per chunk. After end of file, the rest answer EOF.
      let eof = false;
      const next = async (): Promise<void> => {
        while (!eof) {
          const list = await this.op<{ filename: string; attrs: Stats }[] | undefined>(
            'list',
            dir,
            (done) =>
              this.sftp.readdir(handle, (err, l) => {
                if (err && (err as { code?: unknown }).code === 1) done(undefined, undefined);
                else done(err, l);
              }),
          );
          if (!list) eof = true;
          else
            visit(
              list.map((it) => {
                const kind = entryKind(it.attrs.mode);
                return {
                  name: it.filename,
                  size: it.attrs.size,
                  mtimeMs: it.attrs.mtime * 1000,
                  isFile: kind === 'file',
                  kind,
                };
              }),
            );
        }
      };
      await Promise.all(Array.from({ length: READDIR_IN_FLIGHT }, next));
    } finally {
      this.closeQuietly(handle);
    }
  }

  /**
   * Opens a handle through the gate. An open the server refuses with a generic failure while
   * other handles are open is taken for a limit on open files: the gate is lowered to what
   * was open and the open waits for a slot and is tried again.
   */
  private async openHandle(
    stage: string,
    path: string,
    run: (done: (err: unknown, value?: Buffer) => void) => void,
  ): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      await this.gate.acquire();
      try {
        const handle = await this.op<Buffer>(stage, path, run);
        this.gate.opened();
        return handle;
      } catch (err) {
        this.gate.release();
        // What was open when the refusal came: the server answers in order, so every open
        // it granted before refusing this one is counted.
        const othersOpen = this.gate.open;
        if (!(err instanceof SftpError && err.kind === 'failure')) throw err;
        if (othersOpen === 0)
          throw new SftpError(
            stage,
            `${path}: the server refused to open it (SFTP failure) with no other file open, so not for a limit on open files; the server's log says why`,
            { cause: err, kind: 'failure' },
          );
        if (attempt >= MAX_OPEN_RETRIES) {
          throw new SftpError(
            stage,
            `${path}: the server refused to open it (SFTP failure) ${attempt + 1} times while ${othersOpen} other file(s) were open; it may limit the files a session keeps open: set sftp.concurrency to ${Math.max(1, this.gate.limit - 1)} or lower`,
            { cause: err, kind: 'failure' },
          );
        }
        const from = this.gate.limit;
        const to = this.gate.lower();
        if (to !== undefined)
          this.log?.warn(
            { from, to },
            `the server refused to open more than ${to} file(s) at once (SFTP failure with ${to} open): files in flight lowered from ${from} to ${to} for this session; set sftp.concurrency to ${to} to avoid the refusals`,
          );
      }
    }
  }

  async read(path: string, limit: number, expectedSize = 0): Promise<ReadFile> {
    const handle = await this.openHandle('open', path, (done) =>
      this.sftp.open(path, 'r', (err, h) => done(err, h)),
    );
    try {
      let buf = Buffer.allocUnsafe(Math.min(limit + 1, expectedSize + GROWTH_PROBE_BYTES));
      let got = 0;
      for (;;) {
        // Read to the end, whatever the listing said, and ask the open handle what it holds
        // in the same round trip: the server answers in order, so the size FSTAT reports
        // was the file's size right after the read. Until the two agree, the file is still
        // growing and the rest is read the same way.
        const want = Math.min(buf.length, limit + 1) - got;
        const [n, st] = await Promise.all([
          this.readChunk(path, handle, buf, got, want),
          this.op<Stats>('read', path, (done) => this.sftp.fstat(handle, (err, a) => done(err, a))),
        ]);
        got += n;
        const version = { size: got, mtimeMs: st.mtime * 1000 };
        if (got > limit)
          return {
            size: Math.max(st.size, got),
            mtimeMs: version.mtimeMs,
            bytes: buf.subarray(0, limit),
            complete: false,
          };
        if (n === 0 || st.size <= got)
          return { ...version, bytes: buf.subarray(0, got), complete: true };
        if (got === buf.length) {
          const bigger = Buffer.allocUnsafe(
            Math.min(limit + 1, Math.max(st.size + GROWTH_PROBE_BYTES, 2 * buf.length)),
          );
          buf.copy(bigger, 0, 0, got);
          buf = bigger;
        }
      }
    } finally {
      this.closeQuietly(handle);
    }
  }

  /**
   * One READ into `buf` at `off` of at most `len` bytes; 0 at end of file. A short answer is
   * not taken for the end: the FSTAT sent with it says whether more is there.
   */
  private readChunk(
    path: string,
    handle: Buffer,
    buf: Buffer,
    off: number,
    len: number,
  ): Promise<number> {
    return this.op<number>('read', path, (done) =>
      this.sftp.read(handle, buf, off, len, off, (err, bytesRead) => {
        // ssh2 reports end of file as an error with code 1 (EOF) or as 0 bytes.
        if (err && (err as { code?: unknown }).code === 1) done(undefined, 0);
        else done(err, bytesRead);
      }),
    );
  }

  async readHead(path: string, bytes: number): Promise<ReadFile> {
    const handle = await this.openHandle('open', path, (done) =>
      this.sftp.open(path, 'r', (err, h) => done(err, h)),
    );
    try {
      const buf = Buffer.allocUnsafe(bytes);
      const [n, st] = await Promise.all([
        this.readChunk(path, handle, buf, 0, bytes),
        this.op<Stats>('read', path, (done) => this.sftp.fstat(handle, (err, a) => done(err, a))),
      ]);
      return {
        size: st.size,
        mtimeMs: st.mtime * 1000,
        bytes: buf.subarray(0, n),
        complete: st.size <= n,
      };
    } finally {
      this.closeQuietly(handle);
    }
  }

  /**
   * Closes a handle without waiting for the answer: nothing depends on it (a failed close of
   * a read-only handle loses nothing), and waiting would cost a round trip per file.
   */
  private closeQuietly(handle: Buffer): void {
    this.gate.closed();
    if (this.broken) return;
    try {
      this.sftp.close(handle, () => undefined);
    } catch {
      // the channel is closing; the server frees its handles with it
    }
  }

  async move(from: string, to: string): Promise<FileVersion | undefined> {
    // Plain SFTP rename: OpenSSH refuses when the target exists (posix-rename would
    // overwrite). The STAT goes out right behind it, so learning what landed costs no round
    // trip of its own; a server that answers out of order shows no file, and `to` is then
    // asked again.
    const renamed = this.op<void>('rename', from, (done) =>
      this.sftp.rename(from, to, (err) => done(err)),
    );
    const landed = this.stat(to).catch(() => undefined);
    try {
      await renamed;
    } catch (err) {
      await landed;
      if (err instanceof SftpError && err.kind === 'exists') throw err;
      if (
        err instanceof SftpError &&
        err.kind !== 'connection' &&
        (await this.exists(to).catch(() => false))
      ) {
        throw new SftpError('rename', `${to} already exists`, { cause: err, kind: 'exists' });
      }
      throw err;
    }
    return (await landed) ?? (await this.stat(to));
  }

  async stat(path: string): Promise<FileVersion | undefined> {
    try {
      const st = await this.op<Stats>('stat', path, (done) =>
        this.sftp.stat(path, (err, a) => done(err, a)),
      );
      return { size: st.size, mtimeMs: st.mtime * 1000 };
    } catch (err) {
      if (err instanceof SftpError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async remove(path: string): Promise<void> {
    await this.op<void>('delete', path, (done) => this.sftp.unlink(path, (err) => done(err)));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  /** Creates the folder when missing (true when it did); never its parents, which must exist. */
  async ensureDir(path: string): Promise<boolean> {
    // Every poll asks; the folder almost always exists, so one stat usually settles it.
    if (await this.exists(path)) return false;
    const parent = posix.dirname(path);
    if (parent !== path && !(await this.exists(parent))) {
      throw new SftpError(
        'mkdir',
        `${path}: its parent folder ${parent} does not exist on the server; create it, or point the setting at an existing folder`,
        { kind: 'not-found' },
      );
    }
    try {
      await this.op<void>('mkdir', path, (done) => this.sftp.mkdir(path, (err) => done(err)));
      return true;
    } catch (err) {
      // Another process may have made it meanwhile.
      if (!(await this.exists(path).catch(() => false))) throw err;
      return false;
    }
  }

  /** Creates an empty file (a probe: `doctor` checks what the service may do with it). */
  async createEmpty(path: string): Promise<void> {
    const handle = await this.openHandle('write', path, (done) =>
      this.sftp.open(path, 'wx', (err, h) => done(err, h)),
    );
    try {
      await this.op<void>('close', path, (done) => this.sftp.close(handle, (err) => done(err)));
    } finally {
      this.gate.closed();
    }
  }

  /** Ends the session; a server that no longer answers gets its socket destroyed after 2 s. */
  async close(): Promise<void> {
    this.broken ??= new SftpError('connection', 'the session was closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.sock.destroy();
        resolve();
      }, 2000);
    });
    await Promise.race([this.client.end().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
}

/**
 * Lets every request written in one turn of the event loop leave in one write: with many
 * requests in flight, one syscall per SFTP packet would dominate. Called before each
 * request; the socket is uncorked at the end of the turn.
 */
export class TickBatcher {
  private corked = false;
  constructor(private readonly sock: net.Socket) {}

  batch(): void {
    if (this.corked) return;
    this.corked = true;
    this.sock.cork();
    process.nextTick(() => {
      this.corked = false;
      this.sock.uncork();
    });
  }
}
