/**
 * A small HTTP client for notary servers, registries and token endpoints.
 *
 * - one undici `Agent` per client, so connections are kept alive and reused across requests (http-agent.ts);
 * - every response body is read into memory with a byte ceiling (`maxBytes`, http-exchange.ts);
 * - time-outs (connect, headers, body, or the whole request) become `HTTP_TIMEOUT` (http-errors.ts);
 * - idempotent requests (GET, HEAD) are retried at most twice, with jittered backoff, on network errors and 5xx
 *   (http-retry.ts), and follow redirects;
 * - counters for requests, bytes and new connections.
 *
 * Request and response headers never reach error messages, so `Authorization` values cannot leak through errors.
 */
import type { Dispatcher } from "undici";
import { NotaryError } from "../errors.ts";
import { createAgent } from "./http-agent.ts";
import { redactUrl } from "./http-errors.ts";
import type { ExchangeContext } from "./http-exchange.ts";
import { MAX_RETRIES, sendWithRetries } from "./http-retry.ts";
import { DEFAULT_TIMEOUT_MS, type HttpClient, type HttpClientOptions, type HttpRequest, type HttpResponse, type HttpStats } from "./http-types.ts";

export { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS } from "./http-types.ts";
export type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse, HttpStats } from "./http-types.ts";

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];

/** A request checked and normalised: upper-case method, its retry budget, whether redirects are followed. */
interface RequestPlan {
  req: HttpRequest;
  retries: number;
  follow: boolean;
}

/** Only http(s) URLs; retries and redirects only for idempotent methods. */
function planRequest(req: HttpRequest): RequestPlan {
  const method = req.method.toUpperCase();
  const idempotent = method === "GET" || method === "HEAD";
  const retries = idempotent ? Math.max(0, Math.min(MAX_RETRIES, req.retries ?? MAX_RETRIES)) : 0;
  let parsed: URL;
  try {
    parsed = new URL(req.url);
  } catch (cause) {
    throw new NotaryError("INPUT_INVALID", `not a valid URL: ${JSON.stringify(req.url.slice(0, 200))}`, { cause });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new NotaryError("INPUT_INVALID", `only http and https URLs are supported, not ${parsed.protocol}`);
  }
  return { req: { ...req, method }, retries, follow: idempotent && req.followRedirects !== false };
}

/** Where a redirect leads, or undefined when `res` is the answer (not a redirect, not followed, not to http(s)). */
function redirectTarget(plan: RequestPlan, res: HttpResponse, url: string, hop: number): URL | undefined {
  const location = res.headers["location"];
  if (!plan.follow || location === undefined || !REDIRECT_STATUSES.includes(res.status)) return undefined;
  if (hop >= MAX_REDIRECTS) {
    throw new NotaryError("HTTP_ERROR", `${plan.req.method} ${redactUrl(plan.req.url)}: too many redirects`, {
      details: { url: redactUrl(plan.req.url) },
    });
  }
  const next = new URL(location, url);
  return next.protocol === "http:" || next.protocol === "https:" ? next : undefined;
}

/** Credentials are for the origin they were given for: a redirect elsewhere drops `Authorization`. */
function headersFor(next: URL, url: string, headers: Record<string, string>): Record<string, string> {
  if (next.origin === new URL(url).origin) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
}

/** A request with its retries, then its redirects (up to 5 hops). */
async function follow(ctx: ExchangeContext, plan: RequestPlan): Promise<HttpResponse> {
  let url = plan.req.url;
  let headers = { ...(plan.req.headers ?? {}) };
  for (let hop = 0; ; hop++) {
    const res = await sendWithRetries(ctx, plan.req, plan.retries, url, headers);
    const next = redirectTarget(plan, res, url, hop);
    if (next === undefined) return res;
    headers = headersFor(next, url, headers);
    url = next.toString();
  }
}

/**
 * One keep-alive HTTP client (one undici Agent). Share it across requests; `close()` it when done.
 *
 * @example
 * const http = createHttpClient({ ca: caPem, timeoutMs: 10_000 });
 * const res = await http.request({ method: "GET", url: `${server}/v2/${gun}/_trust/tuf/timestamp.json`, maxBytes: 1 << 20 });
 * await http.close();
 */
export function createHttpClient(opts: HttpClientOptions = {}): HttpClient {
  const counters: HttpStats = { requests: 0, bytesSent: 0, bytesReceived: 0, connections: 0, retries: 0 };
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownDispatcher = opts.dispatcher === undefined;
  const dispatcher: Dispatcher = opts.dispatcher ?? createAgent(opts, timeoutMs);
  const onConnect = () => {
    counters.connections++;
  };
  dispatcher.on("connect", onConnect);
  const ctx: ExchangeContext = { dispatcher, counters, timeoutMs };
  let closed = false;
  return {
    async request(req) {
      if (closed) throw new NotaryError("HTTP_ERROR", "the HTTP client has been closed");
      return follow(ctx, planRequest(req));
    },
    stats: () => ({ ...counters }),
    async close() {
      if (closed) return;
      closed = true;
      dispatcher.off("connect", onConnect);
      if (ownDispatcher) await dispatcher.close();
    },
  };
}
