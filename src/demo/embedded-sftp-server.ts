import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Attributes, SFTPWrapper } from 'ssh2';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

/** Faults a test can switch on; the demo uses none. */
export type ServerFaults = {
  /** After this many READ requests, stop answering any request (a stalled transfer). */
  stallAfterReads?: number;
  /** Refuse RENAME with permission denied. */
  denyRename?: boolean;
  /**
   * Refuse an OPEN with a generic failure (status 4) while this many files are open in the
   * session, as a server with a per-session limit does (ProFTPD's is 64 by default).
   */
  maxOpenFiles?: number;
  /** Refuse OPEN of these paths with a generic failure, whatever is open. */
  failOpen?: (path: string) => boolean;
};

export type EmbeddedSftpServer = {
  host: string;
  port: number;
  username: string;
  password: string;
  /** SHA256 fingerprint of the generated host key, to pin like any server's. */
  fingerprint: string;
  close(): Promise<void>;
};

/**
 * A small SFTP server on loopback (ssh2's Server) that serves a local folder as `/`, with a
 * freshly generated ed25519 host key and a random password. Used by `demo`, and by tests
 * for faults a real sshd cannot be made to show.
 */
export async function startEmbeddedSftpServer(
  root: string,
  faults: ServerFaults = {},
): Promise<EmbeddedSftpServer> {
  const keys = hostKeyPair();
  const publicBlob = Buffer.from(keys.public.split(' ')[1] ?? '', 'base64');
  const fingerprint = `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
  const username = 'webio';
  const password = randomBytes(18).toString('base64url');
  const rootAbs = path.resolve(root);
  let reads = 0;
  const clients = new Set<{ end(): unknown }>();

  const server = new Server({ hostKeys: [keys.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && ctx.username === username && ctx.password === password)
        ctx.accept();
      else ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          serveSftp(acceptSftp(), rootAbs, faults, () => ++reads);
        });
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    fingerprint,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Drop live sessions too, so close does not wait on idle clients.
        for (const c of clients) c.end();
      }),
  };
}

function toAttrs(st: fs.Stats): Attributes {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

function serveSftp(
  sftp: SFTPWrapper,
  root: string,
  faults: ServerFaults,
  countRead: () => number,
): void {
  const handles = new Map<number, { fd?: number; dir?: string; listed?: boolean }>();
  let nextHandle = 1;
  let stalled = false;
  const local = (p: string): string => path.join(root, path.posix.normalize(`/${p}`));
  const newHandle = (v: { fd?: number; dir?: string }): Buffer => {
    const id = nextHandle++;
    handles.set(id, v);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  };
  const handleOf = (b: Buffer) => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  const fail = (reqid: number, err: unknown): void => {
    const code = (err as NodeJS.ErrnoException).code;
    const status =
      code === 'ENOENT'
        ? STATUS_CODE.NO_SUCH_FILE
        : code === 'EACCES' || code === 'EPERM'
          ? STATUS_CODE.PERMISSION_DENIED
          : STATUS_CODE.FAILURE;
    sftp.status(reqid, status, (err as Error).message);
  };
  const guard =
    <A extends unknown[]>(fn: (reqid: number, ...args: A) => void) =>
    (reqid: number, ...args: A): void => {
      if (stalled) return;
      try {
        fn(reqid, ...args);
      } catch (err) {
        fail(reqid, err);
      }
    };

  sftp.on(
    'REALPATH',
    guard((reqid, p: string) => {
      const norm = path.posix.normalize(p.startsWith('/') ? p : `/${p}`);
      sftp.name(reqid, [{ filename: norm, longname: norm, attrs: {} as Attributes }]);
    }),
  );
  const stat = guard((reqid, p: string) => sftp.attrs(reqid, toAttrs(fs.statSync(local(p)))));
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);
  sftp.on(
    'FSTAT',
    guard((reqid, h: Buffer) => {
      const o = handleOf(h);
      if (o?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      sftp.attrs(reqid, toAttrs(fs.fstatSync(o.fd)));
    }),
  );
  sftp.on(
    'OPENDIR',
    guard((reqid, p: string) => {
      const dir = local(p);
      if (!fs.statSync(dir).isDirectory())
        return sftp.status(reqid, STATUS_CODE.FAILURE, 'not a directory');
      sftp.handle(reqid, newHandle({ dir }));
    }),
  );
  sftp.on(
    'READDIR',
    guard((reqid, h: Buffer) => {
      const o = handleOf(h);
      if (!o?.dir) return sftp.status(reqid, STATUS_CODE.FAILURE);
      if (o.listed) return sftp.status(reqid, STATUS_CODE.EOF);
      o.listed = true;
      const names = fs.readdirSync(o.dir).map((filename) => {
        const st = fs.statSync(path.join(o.dir as string, filename));
        return {
          filename,
          longname: `${st.isDirectory() ? 'd' : '-'}rw-r--r-- 1 webio webio ${st.size} ${filename}`,
          attrs: toAttrs(st),
        };
      });
      sftp.name(reqid, names);
    }),
  );
  sftp.on(
    'OPEN',
    guard((reqid, p: string, flags: number) => {
      const open = [...handles.values()].filter((h) => h.fd !== undefined).length;
      if (
        (faults.maxOpenFiles !== undefined && open >= faults.maxOpenFiles) ||
        faults.failOpen?.(p)
      )
        return sftp.status(reqid, STATUS_CODE.FAILURE, 'Failure');
      const mode = utils.sftp.flagsToString(flags) ?? 'r';
      sftp.handle(reqid, newHandle({ fd: fs.openSync(local(p), mode) }));
    }),
  );
  sftp.on(
    'READ',
    guard((reqid, h: Buffer, offset: number, length: number) => {
      if (faults.stallAfterReads !== undefined && countRead() > faults.stallAfterReads) {
        stalled = true;
        return;
      }
      const o = handleOf(h);
      if (o?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      const buf = Buffer.alloc(Math.min(length, 256 * 1024));
      const n = fs.readSync(o.fd, buf, 0, buf.length, offset);
      if (n === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      sftp.data(reqid, buf.subarray(0, n));
    }),
  );
  sftp.on(
    'WRITE',
    guard((reqid, h: Buffer, offset: number, data: Buffer) => {
      const o = handleOf(h);
      if (o?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      fs.writeSync(o.fd, data, 0, data.length, offset);
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on(
    'CLOSE',
    guard((reqid, h: Buffer) => {
      const o = handleOf(h);
      if (o?.fd !== undefined) fs.closeSync(o.fd);
      if (h.length === 4) handles.delete(h.readUInt32BE(0));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on(
    'RENAME',
    guard((reqid, from: string, to: string) => {
      if (faults.denyRename)
        return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'permission denied');
      // Like OpenSSH: never replace an existing file.
      if (fs.existsSync(local(to))) return sftp.status(reqid, STATUS_CODE.FAILURE, 'file exists');
      fs.renameSync(local(from), local(to));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on(
    'REMOVE',
    guard((reqid, p: string) => {
      fs.unlinkSync(local(p));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on(
    'MKDIR',
    guard((reqid, p: string) => {
      fs.mkdirSync(local(p));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on(
    'RMDIR',
    guard((reqid, p: string) => {
      fs.rmdirSync(local(p));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  const ok = guard((reqid) => sftp.status(reqid, STATUS_CODE.OK));
  sftp.on('SETSTAT', ok);
  sftp.on('FSETSTAT', ok);
  sftp.on('close', () => {
    for (const o of handles.values()) if (o.fd !== undefined) fs.closeSync(o.fd);
    handles.clear();
  });
}

/**
 * A fresh ed25519 host key pair that ssh2 can read back. ssh2's generateKeyPairSync strips
 * leading zero bytes from the public key, so about one pair in 256 cannot be parsed
 * (mscdex/ssh2 issues 1390 and 1513): `demo` then failed with "Malformed OpenSSH private
 * key". A pair that does not parse is drawn again.
 */
export function hostKeyPair(): { private: string; public: string } {
  for (let attempt = 0; ; attempt++) {
    const keys = utils.generateKeyPairSync('ed25519');
    const readable =
      !(utils.parseKey(keys.private) instanceof Error) &&
      !(utils.parseKey(keys.public) instanceof Error);
    if (readable || attempt >= 20) return keys;
  }
}
