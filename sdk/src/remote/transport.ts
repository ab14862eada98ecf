/** Glue: a `Transport` for notary-server requests over the shared HTTP client and registry-token authenticator. */
import { authedRequest, type Authenticator } from "./auth.ts";
import type { HttpClient } from "./http-types.ts";
import type { Transport } from "./notary-server.ts";

export function createTransport(http: HttpClient, auth: Authenticator | undefined, gun: string): Transport {
  return async (req) => {
    const res = await authedRequest(
      http,
      auth,
      {
        method: req.method,
        url: req.url,
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body ? { body: req.body } : {}),
        ...(req.maxBytes !== undefined ? { maxBytes: req.maxBytes } : {}),
      },
      { scope: { repository: gun, actions: req.access } },
    );
    return { status: res.status, headers: res.headers, body: res.body };
  };
}
