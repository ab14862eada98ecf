/**
 * The HTTP client's steps (remote/http*.ts) over undici's MockAgent (no sockets): retries, redirects, byte ceilings,
 * the NOTARY_HTTP_TRACE line, and how transport errors are classified.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MockAgent } from "undici";
import { createHttpClient } from "../../../sdk/src/remote/http.ts";
import { mapError, redactUrl } from "../../../sdk/src/remote/http-errors.ts";
import { backoffMs } from "../../../sdk/src/remote/http-retry.ts";

function mock(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

/** Header names the mock server saw, lower-case. */
function headerNames(h: unknown): string[] {
  if (Array.isArray(h)) return h.filter((_, i) => i % 2 === 0).map((k) => String(k).toLowerCase());
  return Object.keys((h ?? {}) as Record<string, unknown>).map((k) => k.toLowerCase());
}

test("GET retries a 5xx at most twice and counts the retries; POST is sent once", async (t) => {
  const agent = mock();
  const a = agent.get("http://a.example");
  a.intercept({ path: "/x", method: "GET" }).reply(503, "down").times(2);
  a.intercept({ path: "/x", method: "GET" }).reply(200, "ok");
  a.intercept({ path: "/y", method: "POST" }).reply(503, "down");
  const http = createHttpClient({ dispatcher: agent });
  t.after(() => http.close());
  const res = await http.request({ method: "get", url: "http://a.example/x" });
  assert.equal(res.status, 200);
  assert.equal(new TextDecoder().decode(res.body), "ok");
  assert.equal((await http.request({ method: "POST", url: "http://a.example/y", body: "data" })).status, 503);
  assert.deepEqual(http.stats(), { requests: 4, bytesSent: 4, bytesReceived: 14, connections: 0, retries: 2 });
});

test("retries: 0 hands back the first 5xx", async (t) => {
  const agent = mock();
  agent.get("http://a.example").intercept({ path: "/x", method: "GET" }).reply(500, "e");
  const http = createHttpClient({ dispatcher: agent });
  t.after(() => http.close());
  assert.equal((await http.request({ method: "GET", url: "http://a.example/x", retries: 0 })).status, 500);
  assert.equal(http.stats().retries, 0);
});

test("redirects: followed for GET, Authorization kept on the same origin and dropped on another", async (t) => {
  const agent = mock();
  const seen: Record<string, string[]> = {};
  const record = (name: string, statusCode: number, location?: string) => (opts: { headers?: unknown }) => {
    seen[name] = headerNames(opts.headers);
    return { statusCode, data: "", responseOptions: location === undefined ? {} : { headers: { location } } };
  };
  const a = agent.get("http://a.example");
  a.intercept({ path: "/start", method: "GET" }).reply(302, "", { headers: { location: "/same" } });
  a.intercept({ path: "/same", method: "GET" }).reply(record("/same", 307, "http://b.example/final"));
  agent.get("http://b.example").intercept({ path: "/final", method: "GET" }).reply(record("/final", 200));
  const http = createHttpClient({ dispatcher: agent });
  t.after(() => http.close());
  const res = await http.request({ method: "GET", url: "http://a.example/start", headers: { Authorization: "Bearer secret" } });
  assert.equal(res.status, 200);
  assert.equal(res.url, "http://b.example/final");
  assert.ok(seen["/same"]!.includes("authorization"), "Authorization kept on the same origin");
  assert.ok(!seen["/final"]!.includes("authorization"), "no Authorization for another origin");

  a.intercept({ path: "/no-follow", method: "GET" }).reply(302, "", { headers: { location: "/elsewhere" } });
  assert.equal((await http.request({ method: "GET", url: "http://a.example/no-follow", followRedirects: false })).status, 302);
});

test("redirects: more than 5 hops → HTTP_ERROR naming the first URL", async (t) => {
  const agent = mock();
  agent.get("http://a.example").intercept({ path: /^\/loop/, method: "GET" }).reply(302, "", { headers: { location: "/loop" } }).persist();
  const http = createHttpClient({ dispatcher: agent });
  t.after(() => http.close());
  await assert.rejects(http.request({ method: "GET", url: "http://a.example/loop0" }), { code: "HTTP_ERROR", message: "GET http://a.example/loop0: too many redirects" });
  assert.equal(http.stats().requests, 6);
});

test("byte ceilings: an announced length above maxBytes fails first; a longer body fails or is truncated", async (t) => {
  const agent = mock();
  const a = agent.get("http://a.example");
  a.intercept({ path: "/big", method: "GET" }).reply(200, "x".repeat(100), { headers: { "content-length": "100" } });
  a.intercept({ path: "/stream", method: "GET" }).reply(200, "y".repeat(100)).times(2);
  const http = createHttpClient({ dispatcher: agent });
  t.after(() => http.close());
  await assert.rejects(http.request({ method: "GET", url: "http://a.example/big", maxBytes: 10 }), {
    code: "HTTP_RESPONSE_TOO_LARGE",
    message: "GET http://a.example/big announced 100 bytes, more than the 10-byte limit",
  });
  await assert.rejects(http.request({ method: "GET", url: "http://a.example/stream", maxBytes: 10 }), {
    code: "HTTP_RESPONSE_TOO_LARGE",
    message: "GET http://a.example/stream sent more than the 10-byte limit",
  });
  const cut = await http.request({ method: "GET", url: "http://a.example/stream", maxBytes: 10, truncate: true });
  assert.equal(new TextDecoder().decode(cut.body), "y".repeat(10));
});

test("NOTARY_HTTP_TRACE=1: one line per exchange, retries included, without credentials or query", async (t) => {
  const agent = mock();
  const a = agent.get("http://a.example");
  a.intercept({ path: "/p?q=secret-query", method: "GET" }).reply(502, "bad");
  a.intercept({ path: "/p?q=secret-query", method: "GET" }).reply(200, "fine");
  const http = createHttpClient({ dispatcher: agent });
  const lines: string[] = [];
  const write = process.stderr.write;
  const before = process.env["NOTARY_HTTP_TRACE"];
  process.env["NOTARY_HTTP_TRACE"] = "1";
  process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
  t.after(async () => {
    process.stderr.write = write;
    if (before === undefined) delete process.env["NOTARY_HTTP_TRACE"];
    else process.env["NOTARY_HTTP_TRACE"] = before;
    await http.close();
  });
  await http.request({ method: "GET", url: "http://user:pw@a.example/p?q=secret-query" });
  process.stderr.write = write;
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^notary-http: GET http:\/\/a\.example\/p -> 502 3 B \(\d+ ms\)\n$/);
  assert.match(lines[1]!, /^notary-http: GET http:\/\/a\.example\/p -> 200 4 B \(\d+ ms\)\n$/);
});

test("bad URLs and closed clients are refused before anything is sent", async () => {
  const agent = mock();
  const http = createHttpClient({ dispatcher: agent });
  await assert.rejects(http.request({ method: "GET", url: "not a url" }), { code: "INPUT_INVALID", message: 'not a valid URL: "not a url"' });
  await assert.rejects(http.request({ method: "GET", url: "ftp://a.example/x" }), { code: "INPUT_INVALID", message: /not ftp:/ });
  await http.close();
  await assert.rejects(http.request({ method: "GET", url: "http://a.example/x" }), { code: "HTTP_ERROR", message: "the HTTP client has been closed" });
  assert.equal(http.stats().requests, 0);
  assert.throws(() => createHttpClient({ clientCert: "-----BEGIN CERTIFICATE-----" }), { code: "INPUT_INVALID" });
});

test("mapError: time-outs, aborts, transient network errors, TLS and a plain-HTTP server on a TLS port", () => {
  const coded = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
  const idle = new AbortController().signal;
  const fired = AbortSignal.abort();
  const x = { method: "GET", url: "https://u:p@n.example:4443/v2/x?token=t", budget: 1000, timeoutSignal: idle, userSignal: undefined as AbortSignal | undefined };
  const rows: Array<[unknown, Partial<typeof x>, string, RegExp, Record<string, unknown>]> = [
    [coded("ECONNRESET"), {}, "HTTP_ERROR", /^GET https:\/\/n\.example:4443\/v2\/x failed: boom ECONNRESET \[ECONNRESET\]$/, { transient: true }],
    [coded("ENOTFOUND"), {}, "HTTP_ERROR", /\[ENOTFOUND\]$/, { transient: false }],
    [coded("UND_ERR_HEADERS_TIMEOUT"), {}, "HTTP_TIMEOUT", /timed out \(UND_ERR_HEADERS_TIMEOUT\) within 1000 ms$/, { timeoutMs: 1000 }],
    [new Error("aborted"), { timeoutSignal: fired }, "HTTP_TIMEOUT", /did not complete within 1000 ms$/, { timeoutMs: 1000 }],
    [new Error("aborted"), { userSignal: fired }, "HTTP_ERROR", /was aborted$/, {}],
    [coded("CERT_HAS_EXPIRED"), {}, "HTTP_ERROR", /TLS verification failed/, { transient: false }],
    [coded("ERR_SSL_WRONG_VERSION_NUMBER"), {}, "HTTP_SCHEME_MISMATCH", /use http:\/\/n\.example:4443 if/, { suggestedUrl: "http://n.example:4443" }],
  ];
  for (const [e, over, code, message, details] of rows) {
    const err = mapError(e, { ...x, ...over });
    assert.equal(err.code, code, String(e));
    assert.match(err.message, message);
    for (const [k, v] of Object.entries(details)) assert.equal(err.details?.[k], v, `${code} ${k}`);
    assert.ok(!err.message.includes("u:p") && !err.message.includes("token=t"), "no credentials or query");
  }
  const ours = mapError(coded("X"), x);
  assert.equal(mapError(ours, x), ours, "our own errors pass through");
});

test("redactUrl and backoff", () => {
  assert.equal(redactUrl("https://u:p@h.example:1/a/b?c=d#e"), "https://h.example:1/a/b");
  assert.equal(redactUrl("::"), "<invalid url>");
  for (let n = 1; n <= 2; n++) {
    const ms = backoffMs(n);
    assert.ok(ms >= 50 * 2 ** (n - 1) && ms <= 150 * 2 ** (n - 1), `retry ${n}: ${ms} ms`);
  }
});
