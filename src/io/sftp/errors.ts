import { SftpError, describeError, type SftpFailure } from '../../errors.js';

const SFTP_STATUS: Record<number, string> = {
  1: 'end of file',
  2: 'no such file',
  3: 'permission denied',
  4: 'failure',
  5: 'bad message',
  6: 'no connection',
  7: 'connection lost',
  8: 'operation unsupported',
};

function sftpErrorText(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && SFTP_STATUS[code]) {
    const msg = (err as Error).message;
    return msg && msg.toLowerCase() !== SFTP_STATUS[code]
      ? `${SFTP_STATUS[code]} (${msg})`
      : SFTP_STATUS[code];
  }
  return describeError(err);
}

/** SFTP status codes (draft-ietf-secsh-filexfer) as the kind of failure they report. */
function failureOfStatus(code: unknown): SftpFailure {
  switch (code) {
    case 2:
    case 10: // no such path (v4+)
      return 'not-found';
    case 3:
    case 12: // write protect
      return 'denied';
    case 11: // file already exists (v5+; ProFTPD sends it to a v3 client too)
      return 'exists';
    case 6:
    case 7:
      return 'connection';
    default:
      // A status the server answered with is about this request, not the session.
      return typeof code === 'number' ? 'failure' : 'connection';
  }
}

/** An SFTP error with the server's status code preserved. */
export class SftpOpError extends SftpError {
  readonly status: number | string | undefined;
  constructor(stage: string, path: string, cause: unknown) {
    const code = (cause as { code?: unknown }).code;
    super(stage, `${path}: ${sftpErrorText(cause)}`, { cause, kind: failureOfStatus(code) });
    this.status = typeof code === 'number' || typeof code === 'string' ? code : undefined;
  }
}

/** A failed connect or login as the one-line message that says what to do. */
export function classifyConnectError(
  err: unknown,
  s: { host: string; port: number; username: string; privateKeyPath?: string | undefined },
): SftpError {
  const text = describeError(err);
  const where = `${s.username}@${s.host}:${s.port}`;
  // These messages say what happened and what to do; the raw library text (kept in the
  // fallback) would only repeat it less clearly after the hint.
  const fail = (stage: string, message: string) => new SftpError(stage, message);
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(text)) {
    return fail(
      'connect',
      `${where}: the host name ${s.host} could not be resolved (DNS); check sftp.host and the machine's DNS`,
    );
  }
  if (/authentication|All configured authentication methods failed/i.test(text)) {
    return fail(
      'auth',
      `${where}: authentication failed; check sftp.username and the password or private key`,
    );
  }
  if (/no TCP connection within/.test(text)) {
    return fail(
      'connect',
      `${where}: no TCP connection within the connect timeout (sftp.connectTimeoutSeconds); is the host reachable and the port open?`,
    );
  }
  if (/Timed out while waiting for handshake|ETIMEDOUT|timed out/i.test(text)) {
    return fail('connect', `${where}: no SSH handshake within the connect timeout`);
  }
  if (/ECONNREFUSED/.test(text)) {
    return fail(
      'connect',
      `${where}: connection refused; is the SFTP server running and the port right?`,
    );
  }
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) {
    return fail('connect', `${where}: no route to the host; check sftp.host and the network`);
  }
  if (/Connection lost before handshake|ECONNRESET|not an SSH|Bad identification/i.test(text)) {
    return fail(
      'connect',
      `${where}: the server closed the connection before the SSH handshake; is ${s.port} an SSH port?`,
    );
  }
  if (
    /Encrypted private key detected, but no passphrase|Bad passphrase|bad decrypt|passphrase/i.test(
      text,
    )
  ) {
    return fail(
      'auth',
      `cannot decrypt the private key ${s.privateKeyPath ?? ''}: the passphrase is missing or wrong; check SFTP_PASSPHRASE`,
    );
  }
  if (
    /Unsupported key format|Cannot parse privateKey|does not contain a \(valid\) private key/i.test(
      text,
    )
  ) {
    return fail(
      'auth',
      `${s.privateKeyPath ?? 'the private key'} is not a private key ssh2 can read (${text}); point sftp.privateKeyPath at the private key file (not the .pub)`,
    );
  }
  return new SftpError('connect', `${where}: ${text}`, { cause: err });
}
