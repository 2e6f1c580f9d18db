import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { capConnections } from '../../src/io/connection-cap.js';
import { METRICS_LIMITS, startMetricsServer } from '../../src/io/metrics-server.js';
import { ServiceMetrics } from '../../src/service/metrics.js';
import type { Health } from '../../src/service/health.js';

const healthy: Health = {
  ok: true,
  reasons: [],
  lastPollOkAt: null,
  lastExportOkAt: null,
  exportOverdue: false,
};
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function serve() {
  const server = await startMetricsServer(new ServiceMetrics(), () => healthy, '127.0.0.1', 0);
  cleanup.push(() => server.close());
  return { server, port: Number(new URL(server.address).port) };
}

/**
 * A connected socket that says nothing (or `send`), and a promise of its close. It reads and
 * drops what the server says: the server may answer a stuck connection with a 408 before it
 * closes it, and a socket with unread bytes never sees the end of the stream, so it would stay
 * half-closed (CLOSE-WAIT) for ever although the server has gone.
 */
function idle(port: number, send?: string) {
  const socket = net.connect(port, '127.0.0.1');
  socket.resume();
  cleanup.push(() => void socket.destroy());
  let heard = '';
  socket.on('data', (d: Buffer) => (heard += d.toString('latin1')));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => {});
  const connected = new Promise<void>((r) =>
    socket.once('connect', () => {
      if (send) socket.write(send);
      r();
    }),
  );
  return { socket, closed, connected, heard: () => heard };
}

describe('the metrics port', () => {
  it('closes the longest-idle connection for a newcomer once the cap is reached', async () => {
    const { server } = await serve();
    const port = Number(new URL(server.address).port);
    const held = [];
    for (let i = 0; i < METRICS_LIMITS.maxConnections; i++) {
      const c = idle(port);
      await c.connected;
      held.push(c);
    }
    let firstClosed = false;
    void held[0]?.closed.then(() => (firstClosed = true));
    // At the cap: a health check still gets in, and the first idle connection made room.
    const r = await fetch(`${server.address}/healthz`);
    expect(r.status).toBe(200);
    await held[0]?.closed;
    expect(firstClosed).toBe(true);
    expect(held[1]?.socket.destroyed).toBe(false);
  });

  it('closes a connection stuck in its headers, and one that never speaks', async () => {
    const { port } = await serve();
    const slow = idle(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const silent = idle(port);
    // Both end from the server's side, whichever of its two watches sees them first: the idle
    // timer of connection-cap.ts closes them, or Node's headersTimeout answers 408 and closes.
    // No timing asserted, only that the server ended them: each client read to the end of its
    // stream (a socket the client destroyed would not have).
    await Promise.all([slow.closed, silent.closed]);
    expect([slow.socket.readableEnded, silent.socket.readableEnded]).toEqual([true, true]);
  });

  it('has an idle bound of its own, which closes without a word', async () => {
    // Node's defaults alone (headersTimeout 60 s, checked every 30 s) would take a minute or
    // more; the cap's idle timer of 200 ms closes both sockets, and says nothing before it does
    // (a 408 would be Node's own watch). The 5 s allowed is 25 times the bound, so a busy
    // machine cannot fail it, and a fifth of the time Node's watch would take.
    const server = http.createServer(() => {});
    capConnections(server, 8, 200);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const started = performance.now();
    const slow = idle(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const silent = idle(port);
    await Promise.all([slow.closed, silent.closed]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect([slow.heard(), silent.heard()]).toEqual(['', '']);
    expect([slow.socket.readableEnded, silent.socket.readableEnded]).toEqual([true, true]);
  });
});
