/**
 * Retries of idempotent requests (GET, HEAD): at most twice, with jittered backoff, on transient network errors and
 * 5xx. Each attempt is traced when `NOTARY_HTTP_TRACE=1`.
 */
import { NotaryError, isNotaryError } from "../errors.ts";
import { exchange, type ExchangeContext } from "./http-exchange.ts";
import { isTransient, redactUrl } from "./http-errors.ts";
import type { HttpRequest, HttpResponse } from "./http-types.ts";

export const MAX_RETRIES = 2;

/**
 * `NOTARY_HTTP_TRACE=1`: one line per HTTP exchange on stderr (method, URL without credentials or query, status,
 * bytes, time), which `pulumi up` shows among its diagnostics. Never headers or bodies: no token, password or key.
 */
function trace(method: string, url: string, outcome: string, t0: number): void {
  if (process.env["NOTARY_HTTP_TRACE"] !== "1") return;
  process.stderr.write(`notary-http: ${method} ${redactUrl(url)} -> ${outcome} (${Math.round(performance.now() - t0)} ms)\n`);
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
export function backoffMs(n: number): number {
  const base = 100 * 2 ** (n - 1);
  return Math.round(base * (0.5 + Math.random()));
}

/** Waits before retry `attempt`; an abort during the wait ends the request. */
async function waitToRetry(ctx: ExchangeContext, req: HttpRequest, url: string, attempt: number): Promise<void> {
  ctx.counters.retries++;
  await sleep(backoffMs(attempt), req.signal);
  if (req.signal?.aborted) throw new NotaryError("HTTP_ERROR", `${req.method} ${redactUrl(url)} was aborted`);
}

/** One exchange of `req` (method upper-case) with up to `retries` retries; the last answer or error is the result. */
export async function sendWithRetries(ctx: ExchangeContext, req: HttpRequest, retries: number, url: string, headers: Record<string, string>): Promise<HttpResponse> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await waitToRetry(ctx, req, url, attempt);
    const t0 = performance.now();
    let res: HttpResponse;
    try {
      res = await exchange(ctx, req, url, headers);
      trace(req.method, url, `${res.status} ${res.body.length} B`, t0);
    } catch (e) {
      trace(req.method, url, isNotaryError(e) ? e.code : "failed", t0);
      if (attempt < retries && isTransient(e)) continue;
      throw e;
    }
    if (res.status >= 500 && attempt < retries) continue;
    return res;
  }
}
