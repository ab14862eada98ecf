/**
 * A small HTTP client for notary servers, registries and token endpoints.
 *
 * - one undici `Agent` per client, so connections are kept alive and reused across requests;
 * - every response body is read into memory with a byte ceiling (`maxBytes`): a `Content-Length` above the ceiling
 *   fails before the body is read, and a body that streams past it is cut off (notary's `GetSized` behaviour, but as
 *   an error unless `truncate` is asked for);
 * - time-outs (connect, headers, body, or the whole request) become `HTTP_TIMEOUT`;
 * - idempotent requests (GET, HEAD) are retried at most twice, with jittered backoff, on network errors and 5xx;
 * - counters for requests, bytes and new connections.
 *
 * Request and response headers never reach error messages, so `Authorization` values cannot leak through errors.
 */
import { readFileSync } from "node:fs";
import { Agent, request as undiciRequest } from "undici";
import type { Dispatcher } from "undici";
import { NotaryError, isNotaryError } from "../errors.ts";
import { utf8 } from "../encoding.ts";

export interface HttpClientOptions {
  /**
   * Certificate authorities to trust, as PEM text or paths of PEM files. When given they replace the system roots
   * (notary's `--tlscacert` / `remote_server.root_ca` semantics).
   */
  ca?: string | string[];
  /** Client certificate for mutual TLS, as PEM text or a file path. Needs `clientKey`. */
  clientCert?: string;
  /** Private key of `clientCert`, as PEM text or a file path. */
  clientKey?: string;
  /** Do not verify the server's certificate (notary `skipTLSVerify`, docker insecure registries). */
  insecureSkipVerify?: boolean;
  /** Budget for one attempt of one request, connect to last body byte, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Maximum concurrent connections per origin. Default 8. */
  connections?: number;
  /**
   * Use this dispatcher instead of building an Agent (tests, proxies). TLS options above are then ignored, the
   * client does not close it, and `connections` counts what its `connect` events report.
   */
  dispatcher?: Dispatcher;
}

export interface HttpRequest {
  method: string;
  url: string;
  /** Header names are sent as given; lookups in responses are by lower-case name. */
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Byte ceiling for the response body. Default 100 MiB (notary's cap for root.json). */
  maxBytes?: number;
  /** When the body streams past `maxBytes`, keep the first `maxBytes` bytes instead of failing (Go notary's LimitReader). */
  truncate?: boolean;
  /** Overrides the client's `timeoutMs` for this request. */
  timeoutMs?: number;
  /** Retries for this request (GET/HEAD only; ignored for other methods). Default 2, at most 2. */
  retries?: number;
  /** Follow 301/302/303/307/308 for GET/HEAD (up to 5 hops, Authorization dropped on a change of origin). Default true. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The URL that produced this response (differs from the request's after a redirect). */
  url: string;
}

export interface HttpStats {
  /** HTTP exchanges sent, counting retries and redirects. */
  requests: number;
  /** Request body bytes sent. */
  bytesSent: number;
  /** Response body bytes received. */
  bytesReceived: number;
  /** New TCP/TLS connections opened. */
  connections: number;
  /** Attempts that were retries. */
  retries: number;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  stats(): HttpStats;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const MAX_RETRIES = 2;
const MAX_REDIRECTS = 5;

const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/**
 * `NOTARY_HTTP_TRACE=1`: one line per HTTP exchange on stderr (method, URL without credentials or query, status,
 * bytes, time), which `pulumi up` shows among its diagnostics. Never headers or bodies: no token, password or key.
 */
function trace(method: string, url: string, outcome: string, t0: number): void {
  if (process.env["NOTARY_HTTP_TRACE"] !== "1") return;
  process.stderr.write(`notary-http: ${method} ${redactUrl(url)} -> ${outcome} (${Math.round(performance.now() - t0)} ms)\n`);
}

const isOurs = (e: unknown): e is NotaryError => isNotaryError(e);

function readPem(value: string, what: string): string {
  if (value.includes("-----BEGIN")) return value;
  try {
    return readFileSync(value, "utf8");
  } catch (cause) {
    throw new NotaryError("INPUT_INVALID", `cannot read ${what} file ${value}: ${(cause as Error).message}`, { cause });
  }
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    cur = cur.cause;
  }
  return undefined;
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = "";
    url.password = "";
    return `${url.origin}${url.pathname}`;
  } catch {
    return "<invalid url>";
  }
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Backoff before retry `n` (1-based): 100 ms, 200 ms, … with ±50 % jitter. */
function backoffMs(n: number): number {
  const base = 100 * 2 ** (n - 1);
  return Math.round(base * (0.5 + Math.random()));
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
  let dispatcher: Dispatcher;
  if (opts.dispatcher !== undefined) {
    dispatcher = opts.dispatcher;
  } else {
    if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
      throw new NotaryError("INPUT_INVALID", "clientCert and clientKey must be given together");
    }
    const connect: Record<string, unknown> = { timeout: timeoutMs };
    if (opts.ca !== undefined) {
      const list = Array.isArray(opts.ca) ? opts.ca : [opts.ca];
      connect["ca"] = list.map((c) => readPem(c, "CA certificate"));
    }
    if (opts.clientCert !== undefined && opts.clientKey !== undefined) {
      connect["cert"] = readPem(opts.clientCert, "client certificate");
      connect["key"] = readPem(opts.clientKey, "client key");
    }
    if (opts.insecureSkipVerify === true) connect["rejectUnauthorized"] = false;
    dispatcher = new Agent({
      connections: opts.connections ?? 8,
      connect,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 30_000,
      allowH2: false,
    });
  }
  const onConnect = () => {
    counters.connections++;
  };
  dispatcher.on("connect", onConnect);
  let closed = false;

  async function once(req: HttpRequest, url: string, headers: Record<string, string>): Promise<HttpResponse> {
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
    const budget = req.timeoutMs ?? timeoutMs;
    const timeoutSignal = AbortSignal.timeout(budget);
    const signal = req.signal === undefined ? timeoutSignal : AbortSignal.any([timeoutSignal, req.signal]);
    const body = typeof req.body === "string" ? utf8(req.body) : req.body;
    counters.requests++;
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciRequest(url, {
        dispatcher,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: body === undefined ? null : body,
        signal,
        headersTimeout: budget,
        bodyTimeout: budget,
      });
      if (body !== undefined) counters.bytesSent += body.length;
    } catch (e) {
      throw mapError(e, req.method, url, budget, timeoutSignal, req.signal);
    }
    // Destroying the body (cap exceeded) emits an abort error; it is handled here, not left uncaught.
    res.body.on("error", () => {});
    const resHeaders = flattenHeaders(res.headers as Record<string, string | string[] | undefined>);
    const declared = resHeaders["content-length"];
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes && !req.truncate) {
      res.body.destroy();
      throw new NotaryError(
        "HTTP_RESPONSE_TOO_LARGE",
        `${req.method} ${redactUrl(url)} announced ${declared} bytes, more than the ${maxBytes}-byte limit`,
        { details: { status: res.statusCode, url: redactUrl(url), limit: maxBytes, contentLength: Number(declared) } },
      );
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        counters.bytesReceived += chunk.length;
        if (total + chunk.length > maxBytes) {
          if (req.truncate) {
            chunks.push(chunk.subarray(0, maxBytes - total));
            total = maxBytes;
            break;
          }
          throw new NotaryError(
            "HTTP_RESPONSE_TOO_LARGE",
            `${req.method} ${redactUrl(url)} sent more than the ${maxBytes}-byte limit`,
            { details: { status: res.statusCode, url: redactUrl(url), limit: maxBytes } },
          );
        }
        chunks.push(chunk);
        total += chunk.length;
      }
    } catch (e) {
      res.body.destroy();
      if (isOurs(e)) throw e;
      throw mapError(e, req.method, url, budget, timeoutSignal, req.signal);
    } finally {
      if (!res.body.destroyed && total >= maxBytes) res.body.destroy();
    }
    // Let undici mark the connection idle before the caller's next request, so that request reuses it instead of
    // opening a second connection (the body's end is seen before the pool releases the client).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return { status: res.statusCode, headers: resHeaders, body: out, url };
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    if (closed) throw new NotaryError("HTTP_ERROR", "the HTTP client has been closed");
    const method = req.method.toUpperCase();
    const idempotent = method === "GET" || method === "HEAD";
    const retries = idempotent ? Math.max(0, Math.min(MAX_RETRIES, req.retries ?? MAX_RETRIES)) : 0;
    const follow = idempotent && req.followRedirects !== false;
    let url = req.url;
    let headers = { ...(req.headers ?? {}) };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new NotaryError("INPUT_INVALID", `not a valid URL: ${JSON.stringify(url.slice(0, 200))}`, { cause });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new NotaryError("INPUT_INVALID", `only http and https URLs are supported, not ${parsed.protocol}`);
    }
    for (let hop = 0; ; hop++) {
      let res: HttpResponse | undefined;
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          counters.retries++;
          await sleep(backoffMs(attempt), req.signal);
          if (req.signal?.aborted) throw new NotaryError("HTTP_ERROR", `${method} ${redactUrl(url)} was aborted`);
        }
        const t0 = performance.now();
        try {
          res = await once({ ...req, method }, url, headers);
          trace(method, url, `${res.status} ${res.body.length} B`, t0);
        } catch (e) {
          trace(method, url, isOurs(e) ? e.code : "failed", t0);
          if (attempt < retries && isOurs(e) && e.code === "HTTP_ERROR" && e.details?.["transient"] === true) {
            continue;
          }
          throw e;
        }
        if (res.status >= 500 && attempt < retries) continue;
        break;
      }
      const location = res.headers["location"];
      if (!follow || location === undefined || ![301, 302, 303, 307, 308].includes(res.status)) return res;
      if (hop >= MAX_REDIRECTS) {
        throw new NotaryError("HTTP_ERROR", `${method} ${redactUrl(req.url)}: too many redirects`, {
          details: { url: redactUrl(req.url) },
        });
      }
      const next = new URL(location, url);
      if (next.protocol !== "http:" && next.protocol !== "https:") return res;
      if (next.origin !== new URL(url).origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
      }
      url = next.toString();
    }
  }

  return {
    request,
    stats: () => ({ ...counters }),
    async close() {
      if (closed) return;
      closed = true;
      dispatcher.off("connect", onConnect);
      if (ownDispatcher) await dispatcher.close();
    },
  };
}

function mapError(
  e: unknown,
  method: string,
  url: string,
  budget: number,
  timeoutSignal: AbortSignal,
  userSignal: AbortSignal | undefined,
): NotaryError {
  if (isOurs(e)) return e;
  const code = errorCode(e);
  const where = `${method} ${redactUrl(url)}`;
  if (timeoutSignal.aborted && !(userSignal?.aborted ?? false)) {
    return new NotaryError("HTTP_TIMEOUT", `${where} did not complete within ${budget} ms`, {
      cause: e,
      details: { url: redactUrl(url), timeoutMs: budget },
    });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new NotaryError("HTTP_TIMEOUT", `${where} timed out (${code}) within ${budget} ms`, {
      cause: e,
      details: { url: redactUrl(url), timeoutMs: budget, errorCode: code },
    });
  }
  if (userSignal?.aborted) {
    return new NotaryError("HTTP_ERROR", `${where} was aborted`, { cause: e, details: { url: redactUrl(url) } });
  }
  const message = e instanceof Error ? e.message : String(e);
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" && url.startsWith("https:")) {
    // The TLS handshake met a plain-HTTP server ("wrong version number"): no certificate could help.
    const plain = redactUrl(url).replace(/^https:/, "http:").replace(/^(http:\/\/[^/]+).*$/, "$1");
    return new NotaryError(
      "HTTP_SCHEME_MISMATCH",
      `${where} failed: the server does not speak TLS on this port (it answered the TLS handshake as plain HTTP): use ${plain} ` +
        `if it is meant to serve plain HTTP, or the server's TLS port`,
      { cause: e, details: { url: redactUrl(url), errorCode: code, suggestedUrl: plain, transient: false } },
    );
  }
  const transient = code !== undefined && TRANSIENT_CODES.has(code);
  const tls = code !== undefined && (/CERT|SSL|TLS|SELF_SIGNED|ERR_OSSL|HOSTNAME|UNABLE_TO/.test(code));
  const hint = tls ? " (TLS verification failed: pass the server's CA with `ca`, or a client certificate if it wants one)" : "";
  return new NotaryError("HTTP_ERROR", `${where} failed: ${message}${code ? ` [${code}]` : ""}${hint}`, {
    cause: e,
    details: { url: redactUrl(url), errorCode: code, transient },
  });
}
