/**
 * A loopback proxy in front of a real notary-server that can hold publishes: once `arm()`ed, the next POST is read
 * whole and held (not forwarded) until `release()`: forwarded to the server (which applies it, though its client may be
 * gone by then) or dropped (as if the connection died before the server got it). Everything else passes through. Used
 * to kill a process at a known point: in the middle of its publish.
 */
import http from "node:http";
import { startHttpProxy } from "./http-proxy.ts";

export interface GateProxy {
  url: string;
  /** Hold the next publish (POST). */
  arm(): void;
  /** Resolves once a publish is held. */
  held(): Promise<void>;
  /** Forward the held publish to the server (resolves with its status) or drop it; later POSTs pass through. */
  release(o: { forward: boolean }): Promise<number | undefined>;
  close(): Promise<void>;
}

type Held = { req: http.IncomingMessage; body: Buffer; res: http.ServerResponse };

export async function startGateProxy(target: string): Promise<GateProxy> {
  let armed = false;
  let holding: Held | undefined;
  let onHeld: (() => void) | undefined;
  const heldOnce = new Promise<void>((r) => (onHeld = r));
  const proxy = await startHttpProxy(target, (req, res) => {
    if (!(armed && req.method === "POST")) return false;
    armed = false;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      holding = { req, body: Buffer.concat(chunks), res };
      onHeld?.();
    });
    return true;
  });
  const t = new URL(target);
  return {
    url: proxy.url,
    arm: () => void (armed = true),
    held: () => heldOnce,
    async release({ forward }) {
      const h = holding;
      holding = undefined;
      if (!h) throw new Error("no publish is held");
      if (!forward) {
        h.res.destroy();
        return undefined;
      }
      return new Promise<number>((resolve, reject) => {
        const headers = { ...h.req.headers, "content-length": String(h.body.length) };
        const up = http.request({ host: t.hostname, port: t.port, path: h.req.url, method: "POST", headers }, (r) => {
          r.resume();
          r.on("end", () => {
            if (!h.res.destroyed) h.res.writeHead(r.statusCode ?? 502).end();
            resolve(r.statusCode ?? 0);
          });
        });
        up.on("error", reject);
        up.end(h.body);
      });
    },
    close: proxy.close,
  };
}
