/**
 * One HTTP exchange: send the request, then read the response body into memory under a byte ceiling. A
 * `Content-Length` above the ceiling fails before the body is read, and a body that streams past it is cut off
 * (notary's `GetSized` behaviour, but as an error unless `truncate` is asked for).
 */
import { request as undiciRequest } from "undici";
import type { Dispatcher } from "undici";
import { NotaryError } from "../errors.ts";
import { concatBytes, utf8 } from "../encoding.ts";
import { mapError, redactUrl, type ExchangeSignals } from "./http-errors.ts";
import { DEFAULT_MAX_BYTES, type HttpRequest, type HttpResponse, type HttpStats } from "./http-types.ts";

/** What every exchange of one client shares. */
export interface ExchangeContext {
  dispatcher: Dispatcher;
  counters: HttpStats;
  /** The client's default time-out per attempt, in ms. */
  timeoutMs: number;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Sends `req` to `url` once (no retry, no redirect) and reads the whole answer. */
export async function exchange(ctx: ExchangeContext, req: HttpRequest, url: string, headers: Record<string, string>): Promise<HttpResponse> {
  const budget = req.timeoutMs ?? ctx.timeoutMs;
  const timeoutSignal = AbortSignal.timeout(budget);
  const signals: ExchangeSignals = { method: req.method, url, budget, timeoutSignal, userSignal: req.signal };
  const res = await send(ctx, req, url, headers, signals);
  // Destroying the body (cap exceeded) emits an abort error; it is handled here, not left uncaught.
  res.body.on("error", () => {});
  const resHeaders = flattenHeaders(res.headers as Record<string, string | string[] | undefined>);
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  refuseAnnouncedOversize(req, url, res, resHeaders["content-length"], maxBytes);
  const body = await readBody(ctx, req, url, res, maxBytes, signals);
  // Let undici mark the connection idle before the caller's next request, so that request reuses it instead of
  // opening a second connection (the body's end is seen before the pool releases the client).
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { status: res.statusCode, headers: resHeaders, body, url };
}

async function send(ctx: ExchangeContext, req: HttpRequest, url: string, headers: Record<string, string>, x: ExchangeSignals): Promise<Dispatcher.ResponseData> {
  const signal = req.signal === undefined ? x.timeoutSignal : AbortSignal.any([x.timeoutSignal, req.signal]);
  const body = typeof req.body === "string" ? utf8(req.body) : req.body;
  ctx.counters.requests++;
  try {
    const res = await undiciRequest(url, {
      dispatcher: ctx.dispatcher,
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: body === undefined ? null : body,
      signal,
      headersTimeout: x.budget,
      bodyTimeout: x.budget,
    });
    if (body !== undefined) ctx.counters.bytesSent += body.length;
    return res;
  } catch (e) {
    throw mapError(e, x);
  }
}

/** A `Content-Length` above the ceiling fails before any of the body is read (unless truncating). */
function refuseAnnouncedOversize(req: HttpRequest, url: string, res: Dispatcher.ResponseData, declared: string | undefined, maxBytes: number): void {
  if (declared === undefined || !/^\d+$/.test(declared) || Number(declared) <= maxBytes || req.truncate) return;
  res.body.destroy();
  throw new NotaryError("HTTP_RESPONSE_TOO_LARGE", `${req.method} ${redactUrl(url)} announced ${declared} bytes, more than the ${maxBytes}-byte limit`, {
    details: { status: res.statusCode, url: redactUrl(url), limit: maxBytes, contentLength: Number(declared) },
  });
}

/** The body, up to `maxBytes`: past it, an error, or (with `truncate`) the first `maxBytes` bytes. */
async function readBody(ctx: ExchangeContext, req: HttpRequest, url: string, res: Dispatcher.ResponseData, maxBytes: number, x: ExchangeSignals): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      ctx.counters.bytesReceived += chunk.length;
      if (total + chunk.length > maxBytes) {
        if (req.truncate) {
          chunks.push(chunk.subarray(0, maxBytes - total));
          total = maxBytes;
          break;
        }
        throw new NotaryError("HTTP_RESPONSE_TOO_LARGE", `${req.method} ${redactUrl(url)} sent more than the ${maxBytes}-byte limit`, {
          details: { status: res.statusCode, url: redactUrl(url), limit: maxBytes },
        });
      }
      chunks.push(chunk);
      total += chunk.length;
    }
  } catch (e) {
    res.body.destroy();
    throw mapError(e, x);
  } finally {
    if (!res.body.destroyed && total >= maxBytes) res.body.destroy();
  }
  return concatBytes(...chunks);
}
