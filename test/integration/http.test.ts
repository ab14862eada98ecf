import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHttpClient } from "../../sdk/src/remote/http.ts";
import { isNotaryError } from "../../sdk/src/errors.ts";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

async function serve(handler: Handler): Promise<{ url: string; sockets: () => number; close: () => Promise<void> }> {
  let sockets = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks)));
  });
  server.on("connection", () => sockets++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets: () => sockets,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("GET returns status, lower-case headers and body; keep-alive reuses one connection", async (t) => {
  const srv = await serve((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain", "X-Path": req.url ?? "" });
    res.end("hello");
  });
  t.after(() => srv.close());
  const client = createHttpClient();
  t.after(() => client.close());
  for (let i = 0; i < 5; i++) {
    const res = await client.request({ method: "GET", url: `${srv.url}/a/${i}` });
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "text/plain");
    assert.equal(res.headers["x-path"], `/a/${i}`);
    assert.equal(Buffer.from(res.body).toString(), "hello");
  }
  const s = client.stats();
  assert.equal(s.requests, 5);
  assert.equal(s.bytesReceived, 25);
  assert.equal(s.connections, 1);
  assert.equal(srv.sockets(), 1);
});

test("POST sends the body and counts bytesSent; non-2xx are returned, not thrown", async (t) => {
  let got = "";
  const srv = await serve((req, res, body) => {
    got = `${req.method} ${req.headers["content-type"]} ${body.toString()}`;
    res.writeHead(400, { "content-type": "application/json" });
    res.end('{"errors":[]}');
  });
  t.after(() => srv.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const res = await client.request({
    method: "POST",
    url: `${srv.url}/x`,
    headers: { "Content-Type": "text/plain" },
    body: new Uint8Array(Buffer.from("payload")),
  });
  assert.equal(res.status, 400);
  assert.equal(got, "POST text/plain payload");
  assert.equal(client.stats().bytesSent, 7);
});

test("Content-Length above maxBytes fails with HTTP_RESPONSE_TOO_LARGE before the body is read", async (t) => {
  const srv = await serve((_req, res) => {
    res.writeHead(200, { "content-length": "1000000" });
    res.write(Buffer.alloc(10)); // never finishes: the client must not wait for it
  });
  t.after(() => srv.close());
  const client = createHttpClient({ timeoutMs: 5_000 });
  t.after(() => client.close());
  await assert.rejects(client.request({ method: "GET", url: srv.url, maxBytes: 100 }), (e) => isNotaryError(e, "HTTP_RESPONSE_TOO_LARGE"));
});

test("a chunked body streaming past maxBytes stops at the cap (error, or truncation when asked)", async (t) => {
  const srv = await serve((_req, res) => {
    res.writeHead(200); // chunked, no content-length
    res.write(Buffer.alloc(60, 1));
    res.write(Buffer.alloc(60, 2));
    res.end(Buffer.alloc(60, 3));
  });
  t.after(() => srv.close());
  const client = createHttpClient();
  t.after(() => client.close());
  await assert.rejects(client.request({ method: "GET", url: srv.url, maxBytes: 100 }), (e) => isNotaryError(e, "HTTP_RESPONSE_TOO_LARGE"));
  const res = await client.request({ method: "GET", url: srv.url, maxBytes: 100, truncate: true });
  assert.equal(res.body.length, 100);
  assert.equal(res.body[59], 1);
  assert.equal(res.body[60], 2);
  const ok = await client.request({ method: "GET", url: srv.url, maxBytes: 180 });
  assert.equal(ok.body.length, 180);
});

test("time-outs become HTTP_TIMEOUT", async (t) => {
  const srv = await serve(() => {
    /* never answers */
  });
  t.after(() => srv.close());
  const client = createHttpClient({ timeoutMs: 300 });
  t.after(() => client.close());
  const started = Date.now();
  await assert.rejects(client.request({ method: "GET", url: srv.url }), (e) => isNotaryError(e, "HTTP_TIMEOUT"));
  assert.ok(Date.now() - started < 3_000);
  // a slow body counts too
  const slow = await serve((_req, res) => {
    res.writeHead(200);
    res.write("a");
  });
  t.after(() => slow.close());
  await assert.rejects(client.request({ method: "GET", url: slow.url, timeoutMs: 300 }), (e) => isNotaryError(e, "HTTP_TIMEOUT"));
});

test("GET retries 5xx at most twice; POST is never retried", async (t) => {
  let hits = 0;
  const srv = await serve((_req, res) => {
    hits++;
    res.writeHead(503);
    res.end("busy");
  });
  t.after(() => srv.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const res = await client.request({ method: "GET", url: srv.url });
  assert.equal(res.status, 503);
  assert.equal(hits, 3);
  assert.equal(client.stats().retries, 2);
  hits = 0;
  const post = await client.request({ method: "POST", url: srv.url, body: "x" });
  assert.equal(post.status, 503);
  assert.equal(hits, 1);
});

test("GET succeeds after a transient 5xx and after a dropped connection", async (t) => {
  let hits = 0;
  const srv = await serve((req, res) => {
    hits++;
    if (hits === 1) {
      req.socket.destroy(); // network error
      return;
    }
    if (hits === 2) {
      res.writeHead(502);
      res.end();
      return;
    }
    res.writeHead(200);
    res.end("ok");
  });
  t.after(() => srv.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const res = await client.request({ method: "GET", url: srv.url });
  assert.equal(res.status, 200);
  assert.equal(hits, 3);
});

test("network errors are HTTP_ERROR and name no credentials", async () => {
  const client = createHttpClient({ timeoutMs: 2_000 });
  try {
    await assert.rejects(
      client.request({ method: "GET", url: "http://127.0.0.1:1/v2/", headers: { Authorization: "Bearer sekrit-token" }, retries: 0 }),
      (e) => isNotaryError(e, "HTTP_ERROR") && !String((e as Error).message).includes("sekrit"),
    );
  } finally {
    await client.close();
  }
});

test("redirects are followed for GET, dropping Authorization across origins", async (t) => {
  let seenAuth: string | undefined = "unset";
  const target = await serve((req, res) => {
    seenAuth = req.headers.authorization;
    res.writeHead(200);
    res.end("moved here");
  });
  t.after(() => target.close());
  const origin = await serve((_req, res) => {
    res.writeHead(307, { location: `${target.url}/blob` });
    res.end();
  });
  t.after(() => origin.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const res = await client.request({ method: "GET", url: origin.url, headers: { Authorization: "Bearer t" } });
  assert.equal(res.status, 200);
  assert.equal(Buffer.from(res.body).toString(), "moved here");
  assert.equal(res.url, `${target.url}/blob`);
  assert.equal(seenAuth, undefined);
});

test("concurrent requests open at most `connections` sockets and stats count them", async (t) => {
  const srv = await serve((_req, res) => {
    setTimeout(() => {
      res.writeHead(200);
      res.end("x");
    }, 20);
  });
  t.after(() => srv.close());
  const client = createHttpClient({ connections: 3 });
  t.after(() => client.close());
  await Promise.all(Array.from({ length: 12 }, () => client.request({ method: "GET", url: srv.url })));
  const s = client.stats();
  assert.equal(s.requests, 12);
  assert.ok(s.connections <= 3 && s.connections >= 1, `connections=${s.connections}`);
  assert.equal(s.connections, srv.sockets());
});

test("bad URLs and closed clients are rejected", async () => {
  const client = createHttpClient();
  await assert.rejects(client.request({ method: "GET", url: "ftp://x/" }), (e) => isNotaryError(e, "INPUT_INVALID"));
  await assert.rejects(client.request({ method: "GET", url: "not a url" }), (e) => isNotaryError(e, "INPUT_INVALID"));
  await client.close();
  await assert.rejects(client.request({ method: "GET", url: "http://127.0.0.1:1/" }), (e) => isNotaryError(e, "HTTP_ERROR"));
});
