/**
 * A proxy in front of a real notary-server that can replay: `record()` keeps the server's current `timestamp.json` of
 * every GUN (bytes the server made), `replay()` then answers later GETs of it with those older bytes, as a stale
 * mirror or a hostile server would (the older snapshot and targets follow by checksum from the real server, which
 * keeps them). `replayAfterPost()` starts replaying only once a publish went through. Everything else passes through.
 */
import { startHttpProxy } from "./http-proxy.ts";

export interface ReplayProxy {
  url: string;
  /** Remember the current timestamp.json of `gun`. */
  record(gun: string): Promise<void>;
  /** Serve the recorded timestamp from now on (`afterPost`: from the first POST on). */
  replay(o?: { afterPost?: boolean }): void;
  /** Pass everything through again. */
  live(): void;
  /** GETs of timestamp.json answered from the recording so far. */
  readonly replayed: number;
  close(): Promise<void>;
}

export async function startReplayProxy(target: string): Promise<ReplayProxy> {
  const recorded = new Map<string, Buffer>();
  let mode: "live" | "replay" | "armed" = "live";
  let replayed = 0;
  const proxy = await startHttpProxy(target, (req, res) => {
    if (req.method === "POST" && mode === "armed") {
      res.on("finish", () => (mode = "replay"));
      return false;
    }
    const old = req.method === "GET" && mode === "replay" ? recorded.get(req.url ?? "") : undefined;
    if (!old) return false;
    replayed++;
    res.writeHead(200, { "content-type": "application/json", "content-length": old.length }).end(old);
    return true;
  });
  return {
    url: proxy.url,
    async record(gun: string) {
      const path = `/v2/${gun}/_trust/tuf/timestamp.json`;
      const res = await fetch(`${target}${path}`);
      if (res.status !== 200) throw new Error(`record ${path}: HTTP ${res.status}`);
      recorded.set(path, Buffer.from(await res.arrayBuffer()));
    },
    replay(o = {}) {
      mode = o.afterPost ? "armed" : "replay";
    },
    live() {
      mode = "live";
    },
    get replayed() {
      return replayed;
    },
    close: proxy.close,
  };
}
