import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { capConnections } from './connection-cap.js';

/** What /healthz answers: 200 while `ok`, else 503; the rest is the body's JSON. */
export type HealthAnswer = { ok: boolean } & object;

/**
 * Bounds on the metrics port, so that connections to it can never starve the process of the
 * file descriptors its polls need: at most 64 connections (the longest idle is closed for a
 * newcomer), none idle (silent, in its headers, or between requests) for more than 5 s (see
 * connection-cap.ts); headers within 5 s and a whole request within 10 s (a connection that has
 * sent none counts from when it connected), 5 s of keep-alive and 100 requests per connection
 * (Node's own limits: past the first two, checked every second, Node answers 408 and closes).
 * Scrapes and health checks take milliseconds; only a stuck or hostile client meets these.
 */
export const METRICS_LIMITS = {
  maxConnections: 64,
  idleTimeoutMs: 5_000,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 100,
  maxHeaderSize: 8 * 1024,
} as const;

/** Serves GET /metrics and GET /healthz; everything else is 404. */
export async function startMetricsServer(
  metrics: { registry: Registry },
  health: () => HealthAnswer,
  host: string,
  port: number,
): Promise<{ address: string; close(): Promise<void> }> {
  const limits = METRICS_LIMITS;
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for connections past those timeouts (30 s by default).
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: limits.maxHeaderSize,
    },
    (req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url === '/metrics') {
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
      } else if (url === '/healthz') {
        const h = health();
        res
          .writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(`${JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', ...h })}\n`);
      } else {
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /metrics or /healthz\n');
      }
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  capConnections(server, limits.maxConnections, limits.idleTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
