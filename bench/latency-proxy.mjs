// A TCP proxy on loopback that delivers every chunk a fixed one-way delay after it arrived,
// in order, in both directions: a round trip costs 2 × delay, bandwidth is not limited.
// Used by wan-bench.mjs to make a real sshd look far away.
import net from 'node:net';

/** Starts the proxy; resolves with its port and a close(). */
export function startLatencyProxy(targetPort, oneWayMs) {
  const sockets = new Set();
  const relay = (from, to) => {
    // Timers of one duration fire in the order they were set: chunks stay in order.
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), oneWayMs));
    from.on('end', () => setTimeout(() => to.destroyed || to.end(), oneWayMs));
    from.on('error', () => to.destroy());
    from.on('close', () => setTimeout(() => to.destroy(), oneWayMs + 1));
  };
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
