// A loopback TCP proxy that counts connections and bytes in each direction: what the client really sent over the
// wire, TLS or not. Used by the benchmark and by tests that assert keep-alive and request counts.
import net from "node:net";

export type ProxyStats = { connections: number; bytesUp: number; bytesDown: number };

export type TcpProxy = { host: string; port: number; stats(): ProxyStats; reset(): void; close(): Promise<void> };

/** `listenPort`: listen on this loopback port (to stop a proxy and start it again where clients expect it). */
export async function startTcpProxy(targetHost: string, targetPort: number, listenPort = 0): Promise<TcpProxy> {
  let stats: ProxyStats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    stats.connections++;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    client.on("data", (b) => (stats.bytesUp += b.length));
    upstream.on("data", (b) => (stats.bytesDown += b.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: "127.0.0.1",
    port,
    stats: () => ({ ...stats }),
    reset: () => {
      stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
