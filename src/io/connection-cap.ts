import type http from 'node:http';
import type net from 'node:net';

/**
 * Bounds the connections of `server`, so that nobody can hold the process's file descriptors
 * (which its polls need) through them:
 *
 * - at most `max` open: a connection beyond the cap closes the one that has been idle longest
 *   (connected and silent, stuck in its headers, or kept alive between requests), so a scraper
 *   or health check that connects and asks at once always gets in, however many half-open
 *   connections someone holds; when every connection is busy with a request, the newcomer is
 *   closed instead. (Node's own `maxConnections` refuses the newcomer, which would let idle
 *   sockets lock `/healthz` out.)
 * - none idle for more than `idleMs`, closed without a word. Node's own watch (headersTimeout,
 *   checked every connectionsCheckingInterval) also answers a silent or stuck connection with
 *   a 408 and closes it, after a minute or more on its defaults; this bound holds whatever
 *   those are set to, and also covers the time between requests of a kept-alive connection.
 */
export function capConnections(server: http.Server, max: number, idleMs: number): void {
  const live = new Set<net.Socket>();
  // Insertion order is the order sockets went idle: the first is the longest idle.
  const idle = new Map<net.Socket, ReturnType<typeof setTimeout>>();
  const drop = (socket: net.Socket) => {
    live.delete(socket);
    clearTimeout(idle.get(socket));
    idle.delete(socket);
    socket.destroy();
  };
  const goIdle = (socket: net.Socket) => {
    const timer = setTimeout(() => drop(socket), idleMs);
    timer.unref();
    idle.set(socket, timer);
  };
  const goBusy = (socket: net.Socket) => {
    clearTimeout(idle.get(socket));
    idle.delete(socket);
  };
  server.on('connection', (socket: net.Socket) => {
    live.add(socket);
    goIdle(socket);
    socket.once('close', () => {
      live.delete(socket);
      goBusy(socket);
    });
    if (live.size <= max) return;
    const oldest = idle.keys().next().value;
    drop(oldest !== undefined && oldest !== socket ? oldest : socket);
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    goBusy(socket);
    res.once('finish', () => {
      // Kept alive for the next request: idle again, and now the youngest idle one.
      if (live.has(socket) && !socket.destroyed) goIdle(socket);
    });
  });
}
