import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { formatImageReference, isLoopbackHost, parseImageReference, registryBaseUrl } from "../../../sdk/src/remote/registry-ref.ts";
import { resolveImage } from "../../../sdk/src/remote/registry.ts";
import { createHttpClient } from "../../../sdk/src/remote/http.ts";
import { isNotaryError } from "../../../sdk/src/errors.ts";

const D = `sha256:${"a".repeat(64)}`;

test("parseImageReference: docker normalisation", () => {
  const cases: Array<[string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
    ["alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["alpine:3.19", { registry: "docker.io", repository: "library/alpine", tag: "3.19" }],
    ["library/alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["user/app", { registry: "docker.io", repository: "user/app" }],
    ["docker.io/alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["index.docker.io/user/app:v1", { registry: "docker.io", repository: "user/app", tag: "v1" }],
    ["ghcr.io/org/app", { registry: "ghcr.io", repository: "org/app" }],
    ["localhost/app", { registry: "localhost", repository: "app" }],
    ["localhost:5000/app:v1", { registry: "localhost:5000", repository: "app", tag: "v1" }],
    ["127.0.0.1:5000/team/app", { registry: "127.0.0.1:5000", repository: "team/app" }],
    ["127.0.0.1:5000/team/app:v2", { registry: "127.0.0.1:5000", repository: "team/app", tag: "v2" }],
    [`127.0.0.1:5000/team/app@${D}`, { registry: "127.0.0.1:5000", repository: "team/app", digest: D }],
    [`127.0.0.1:5000/team/app:v2@${D}`, { registry: "127.0.0.1:5000", repository: "team/app", tag: "v2", digest: D }],
    [`alpine@${D}`, { registry: "docker.io", repository: "library/alpine", digest: D }],
    ["[::1]:5000/app", { registry: "[::1]:5000", repository: "app" }],
    ["Registry/app", { registry: "Registry", repository: "app" }], // upper case first component is a host
    ["a.b/c__d/e-f/g.h_i:Tag_1.0-x", { registry: "a.b", repository: "c__d/e-f/g.h_i", tag: "Tag_1.0-x" }],
    ["myhost:443/x", { registry: "myhost:443", repository: "x" }],
  ];
  for (const [input, want] of cases) {
    const r = parseImageReference(input);
    assert.equal(r.registry, want.registry, input);
    assert.equal(r.repository, want.repository, input);
    assert.equal(r.name, `${want.registry}/${want.repository}`, input);
    assert.equal(r.gun, r.name, input);
    assert.equal(r.tag, want.tag, input);
    assert.equal(r.digest, want.digest, input);
  }
});

test("parseImageReference: invalid references are REFERENCE_INVALID", () => {
  const bad = [
    "",
    " alpine",
    "Alpine",
    "user/App",
    "a".repeat(64).replace(/a/g, "f"),
    "alpine:",
    "alpine:-bad",
    `alpine:${"t".repeat(129)}`,
    "alpine@sha256:abc",
    `alpine@sha256:${"A".repeat(64)}`,
    "alpine@md5",
    "a//b",
    "a/",
    "/a",
    "a..b/c",
    "-host.com/a",
    "ex ample/a",
    `x.io/${"a".repeat(260)}`,
    "host:port/a",
    ":tag",
  ];
  for (const b of bad) {
    assert.throws(() => parseImageReference(b), (e) => isNotaryError(e, "REFERENCE_INVALID"), JSON.stringify(b));
  }
});

test("formatImageReference, loopback detection and base URLs", () => {
  assert.equal(formatImageReference(parseImageReference(`x.io/a:t@${D}`)), `x.io/a:t@${D}`);
  assert.equal(formatImageReference(parseImageReference("alpine")), "docker.io/library/alpine");
  for (const h of ["localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"]) assert.ok(isLoopbackHost(h), h);
  for (const h of ["example.com", "10.0.0.1:5000", "localhost.example.com"]) assert.ok(!isLoopbackHost(h), h);
  assert.equal(registryBaseUrl("docker.io"), "https://registry-1.docker.io");
  assert.equal(registryBaseUrl("127.0.0.1:5000"), "http://127.0.0.1:5000");
  assert.equal(registryBaseUrl("reg.example:5000"), "https://reg.example:5000");
  assert.equal(registryBaseUrl("reg.example:5000", { insecure: true }), "http://reg.example:5000");
});

// ---------------------------------------------------------------------------------------------------------------------
// resolveImage against a fake registry

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function fakeRegistry(manifests: Record<string, { body: Buffer; contentType: string; headerDigest?: string | null }>) {
  const seen: Array<{ method: string; url: string; accept: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", accept: req.headers.accept });
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url ?? "");
    const entry = m ? manifests[`${m[1]}@${m[2]}`] : undefined;
    if (!entry) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      return;
    }
    const headers: Record<string, string> = { "content-type": entry.contentType, "content-length": String(entry.body.length) };
    if (entry.headerDigest !== null) headers["docker-content-digest"] = entry.headerDigest ?? sha(entry.body);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("resolveImage: by tag and by digest, media type from the body or Content-Type, digest checks", async (t) => {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }));
  const noMediaType = Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }));
  const tampered = Buffer.from('{"schemaVersion":2,"evil":true}');
  const reg = await fakeRegistry({
    "team/app@v1": { body: index, contentType: "application/vnd.oci.image.index.v1+json" },
    [`team/app@${sha(index)}`]: { body: index, contentType: "application/vnd.oci.image.index.v1+json" },
    "team/app@plain": { body: noMediaType, contentType: "application/vnd.oci.image.manifest.v1+json; charset=x" },
    "team/app@nodigest": { body: noMediaType, contentType: "application/vnd.oci.image.manifest.v1+json", headerDigest: null },
    "team/app@liar": { body: tampered, contentType: "application/json", headerDigest: sha(index) },
    [`team/app@${sha(index).replace(/.$/, "0")}`]: { body: index, contentType: "application/vnd.oci.image.index.v1+json" },
  });
  t.after(() => reg.close());
  const http = createHttpClient();
  t.after(() => http.close());

  const byTag = await resolveImage(`${reg.host}/team/app:v1`, { http });
  assert.deepEqual(
    { ...byTag, manifestBytes: undefined },
    {
      registry: reg.host,
      repository: "team/app",
      name: `${reg.host}/team/app`,
      tag: "v1",
      digest: sha(index),
      size: index.length,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifestBytes: undefined,
    },
  );
  assert.deepEqual(Buffer.from(byTag.manifestBytes!), index);
  const accept = reg.seen[0]!.accept ?? "";
  for (const mt of [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
  ]) {
    assert.ok(accept.includes(mt), mt);
  }

  const byDigest = await resolveImage(`${reg.host}/team/app@${sha(index)}`, { http });
  assert.equal(byDigest.digest, sha(index));
  assert.equal(byDigest.tag, undefined);
  const both = await resolveImage(`${reg.host}/team/app:v1@${sha(index)}`, { http });
  assert.equal(both.tag, "v1");
  assert.equal(reg.seen.at(-1)!.url, `/v2/team/app/manifests/${sha(index)}`);

  const plain = await resolveImage(`${reg.host}/team/app:plain`, { http });
  assert.equal(plain.mediaType, "application/vnd.oci.image.manifest.v1+json");
  const nodigest = await resolveImage(`${reg.host}/team/app:nodigest`, { http });
  assert.equal(nodigest.digest, sha(noMediaType));

  await assert.rejects(resolveImage(`${reg.host}/team/app:liar`, { http }), (e) => isNotaryError(e, "REGISTRY_DIGEST_MISMATCH"));
  await assert.rejects(
    resolveImage(`${reg.host}/team/app@${sha(index).replace(/.$/, "0")}`, { http }),
    (e) => isNotaryError(e, "REGISTRY_DIGEST_MISMATCH"),
  );
  await assert.rejects(resolveImage(`${reg.host}/team/app:missing`, { http }), (e) => isNotaryError(e, "HTTP_NOT_FOUND"));

  // HEAD: headers only, falls back to GET without Docker-Content-Digest
  const n = reg.seen.length;
  const head = await resolveImage(`${reg.host}/team/app:v1`, { http, method: "HEAD" });
  assert.equal(head.digest, sha(index));
  assert.equal(head.size, index.length);
  assert.equal(head.manifestBytes, undefined);
  assert.deepEqual(reg.seen.slice(n).map((s) => s.method), ["HEAD"]);
  const headFallback = await resolveImage(`${reg.host}/team/app:nodigest`, { http, method: "HEAD" });
  assert.equal(headFallback.digest, sha(noMediaType));
  assert.deepEqual(reg.seen.slice(n + 1).map((s) => s.method), ["HEAD", "GET"]);
});

test("resolveImage: no tag means latest; oversized manifests are refused", async (t) => {
  const big = Buffer.alloc(2000, 0x20);
  const reg = await fakeRegistry({ "app@latest": { body: big, contentType: "application/vnd.oci.image.manifest.v1+json" } });
  t.after(() => reg.close());
  const r = await resolveImage(`${reg.host}/app`, {});
  assert.equal(r.tag, "latest");
  await assert.rejects(resolveImage(`${reg.host}/app`, { maxManifestBytes: 1000 }), (e) => isNotaryError(e, "HTTP_RESPONSE_TOO_LARGE"));
});
