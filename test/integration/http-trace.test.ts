// NOTARY_HTTP_TRACE=1 prints one line per HTTP exchange on stderr (method, URL without credentials or query, status,
// bytes) and never a header or body: the Authorization header, a password in the URL and the answer's token stay out.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SECRET = "s3cr3t-pass-91";
const TOKEN = "tok-abcdef-123";

async function withServer(fn: (url: string) => Promise<void>): Promise<void> {
  const server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: TOKEN })));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function requestIn(child: { env: Record<string, string> }, url: string) {
  const script = `
    import { createHttpClient } from ${JSON.stringify(path.join(ROOT, "sdk/src/remote/http.ts"))};
    const c = createHttpClient();
    await c.request({ method: "GET", url: ${JSON.stringify(url)}, headers: { authorization: "Basic ${Buffer.from(`ci:${SECRET}`).toString("base64")}" } });
    await c.close();`;
  // Not spawnSync: the server answering it runs in this process.
  return new Promise<{ status: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, ...child.env }, timeout: 30_000 }, (e, _out, stderr) =>
      resolve({ status: e ? ((e as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

test("the trace names each exchange and nothing secret; without the variable there is none", async () => {
  await withServer(async (base) => {
    const url = `${base.replace("http://", `http://ci:${SECRET}@`)}/token?scope=repository:a:pull&account=ci`;
    const on = await requestIn({ env: { NOTARY_HTTP_TRACE: "1" } }, url);
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stderr, new RegExp(`^notary-http: GET ${base.replace(/[.]/g, "\\.")}/token -> 200 \\d+ B \\(\\d+ ms\\)$`, "m"));
    for (const s of [SECRET, TOKEN, Buffer.from(`ci:${SECRET}`).toString("base64"), "account=ci"]) assert.ok(!on.stderr.includes(s), `the trace shows no ${s}`);
    const off = await requestIn({ env: {} }, url);
    assert.equal(off.status, 0, off.stderr);
    assert.doesNotMatch(off.stderr, /notary-http:/);
  });
});
