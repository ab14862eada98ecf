// Errors in the reader's terms: SDK option names become the stack config keys and inputs a Pulumi user sets; the
// server URL is checked offline.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkServerUrl, inPulumiTerms } from "../../../provider/src/runtime/terms.ts";
import type { CheckFailure } from "../../../provider/src/runtime/checks.ts";

test("SDK option names in messages become stack config keys and resource inputs", () => {
  const tls = inPulumiTerms("TLS verification failed: pass the server's CA with `ca`, or a client certificate if it wants one");
  assert.match(tls, /notary:caPem/);
  assert.doesNotMatch(tls, /`ca`/);
  assert.match(inPulumiTerms("use https://h:1 as NotaryClient's url (with its CA in tls.ca when the certificate is private)"), /notary:serverUrl.*notary:caPem/);
  assert.match(inPulumiTerms("Initialize it (Repository.initialize), or check NotaryClient's url and the GUN"), /a Repository resource.*notary:serverUrl/);
  assert.equal(inPulumiTerms("cannot sign targets: the keys given"), "cannot sign targets: the keys given");
});

test("checkServerUrl: missing everywhere, without a scheme, or fine", () => {
  const saved = process.env["DOCKER_CONTENT_TRUST_SERVER"];
  delete process.env["DOCKER_CONTENT_TRUST_SERVER"];
  try {
    const run = (config: { url?: string }, server?: { url?: string }) => {
      const f: CheckFailure[] = [];
      checkServerUrl(config, server, f);
      return f.map((x) => `${x.property}: ${x.reason}`);
    };
    assert.match(run({})[0]!, /^server\.url: no notary server: `pulumi config set notary:serverUrl/);
    assert.match(run({ url: "notary.example.com:4443" })[0]!, /notary:serverUrl is "notary\.example\.com:4443": give the notary server's URL with its scheme/);
    assert.match(run({}, { url: "ftp://x" })[0]!, /^server\.url: server\.url is "ftp:\/\/x"/);
    assert.deepEqual(run({ url: "https://notary.example.com:4443" }), []);
    assert.deepEqual(run({}, { url: "http://127.0.0.1:4443" }), []);
    process.env["DOCKER_CONTENT_TRUST_SERVER"] = "https://notary.docker.io";
    assert.deepEqual(run({}), [], "docker's variable counts");
  } finally {
    if (saved === undefined) delete process.env["DOCKER_CONTENT_TRUST_SERVER"];
    else process.env["DOCKER_CONTENT_TRUST_SERVER"] = saved;
  }
});
