// Requests a notary-server served, read from its JSON log ("response completed" lines at level info).
export type LoggedRequest = { method: string; uri: string; status: number; remote: string; agent: string };

export function requestsIn(log: string): LoggedRequest[] {
  const out: LoggedRequest[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes('"response completed"')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      out.push({
        method: String(j["http.request.method"]),
        uri: String(j["http.request.uri"]),
        status: Number(j["http.response.status"]),
        remote: String(j["http.request.remoteaddr"]),
        agent: String(j["http.request.useragent"] ?? ""),
      });
    } catch {
      /* partial line */
    }
  }
  return out;
}

/** A cursor over a server's log: `since()` returns the requests logged after the previous call. */
export function requestCursor(log: () => string): { since(): LoggedRequest[] } {
  let seen = requestsIn(log()).length;
  return {
    since() {
      const all = requestsIn(log());
      const fresh = all.slice(seen);
      seen = all.length;
      return fresh;
    },
  };
}

export const isPublish = (r: LoggedRequest): boolean => r.method === "POST" && r.uri.endsWith("/_trust/tuf/");
