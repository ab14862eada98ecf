/**
 * A loopback HTTP proxy in front of a real server, for faults the server alone cannot produce: `intercept` may answer a
 * request itself (return true); everything else is forwarded unchanged. Used by replay-proxy.ts and the tests of an
 * unavailable server.
 */
import http from "node:http";

export type Intercept = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export async function startHttpProxy(target: string, intercept: Intercept): Promise<{ url: string; close(): Promise<void> }> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    if (intercept(req, res)) return;
    const up = http.request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
