/**
 * Hints from what notary-server said, not only from the error's name (remote/server-hints.ts, issue 11).
 *
 * Provenance of the bodies: answers of the Debian notary-server 0.7.0+ds1 (memory storage, local signer) on 127.0.0.1,
 * captured 2026-12-03 by posting hand-built files through `NotaryServer.publish` (expired targets/root/snapshot/
 * delegation, version 0, root version +2, a foreign targets key, a non-base64 hash, an undelegated role, a root
 * certificate for another GUN, a root rotation without the old key, a client-held snapshot with a wrong hash or left
 * out, a publish to a GUN with no root), `curl http://` to the TLS port, and a server with `repositories.gun_prefixes`.
 * Two bodies come from notary's own client (test/fixtures/go/canonical-json.json). test/integration/validation.test.ts
 * provokes several of them again on the live server and checks the hints there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverError } from "../../../sdk/src/remote/notary-server.ts";
import { adviceFor } from "../../../sdk/src/remote/server-hints.ts";
import { updateRepository } from "../../../sdk/src/trust/update.ts";
import { goJson } from "../helpers/go-fixtures.ts";

const GUN = "127.0.0.1:4443/team/app";
const URL_ = "http://127.0.0.1:4443";
const invalid = (name: string, error: Record<string, string>) =>
  JSON.stringify({ errors: [{ code: "INVALID_UPDATE", message: "Update sent by the client is invalid.", detail: { Name: name, Error: error } }] }) + "\n";
const res = (status: number, body: string) => ({ status, headers: {}, body: new TextEncoder().encode(body) });

type Row = { what: string; status?: number; body: string; code: string; says: RegExp; notSays?: RegExp };
const ROWS: Row[] = [
  {
    what: "expired targets in the upload (was: 'check the signing keys')",
    body: invalid("ErrBadTargets", { Msg: "targets expired at Thu Dec 3 19:44:19 UTC 2026" }),
    code: "SERVER_REJECTED",
    says: /\(ErrBadTargets: targets expired at Thu Dec 3 19:44:19 UTC 2026\); targets in this upload had already expired on the server's clock: re-sign it with a fresh expiry .*\{ type: "witness", role: "targets" \}.*RepositoryOptions\.expiry/,
    notSays: /signing keys|\{"Msg"/,
  },
  {
    what: "expired delegation",
    body: invalid("ErrBadTargets", { Msg: "targets/releases expired at Thu Dec 3 20:45:40 UTC 2026" }),
    code: "SERVER_REJECTED",
    says: /targets\/releases in this upload had already expired.*targets\/releases's key/,
    notSays: /signing keys/,
  },
  { what: "expired root", body: invalid("ErrBadRoot", { Msg: "root expired at Thu Dec 3 19:44:19 UTC 2026" }), code: "SERVER_REJECTED", says: /root in this upload had already expired/, notSays: /certificate does not match/ },
  { what: "expired client snapshot", body: invalid("ErrBadSnapshot", { Msg: "snapshot expired at Thu Dec 3 19:44:19 UTC 2026" }), code: "SERVER_REJECTED", says: /snapshot in this upload had already expired/ },
  {
    what: "version 0",
    body: invalid("ErrBadTargets", { Msg: "targets type metadata invalid: version cannot be less than one" }),
    code: "SERVER_REJECTED",
    says: /a metadata version is 0 or less: versions start at 1/,
    notSays: /signing keys/,
  },
  {
    what: "root two versions up",
    body: invalid("ErrBadRoot", { Msg: "Root modifications must increment the version. Current 1, new 3" }),
    code: "SERVER_REJECTED",
    says: /the server holds root version 1, this upload has 3\): fetch\(\) again/,
  },
  {
    what: "targets signed by a key root does not list",
    body: invalid("ErrBadTargets", { Msg: "valid signatures did not meet threshold for targets" }),
    code: "SERVER_REJECTED",
    says: /targets is not signed by enough of the keys the repository gives it .*PublishOptions\.keys/,
  },
  {
    what: "a hash that is not base64",
    body: invalid("ErrBadTargets", { Msg: "illegal base64 data at input byte 3" }),
    code: "SERVER_REJECTED",
    says: /not standard base64: target hashes are the base64 of the raw digest/,
    notSays: /signing keys/,
  },
  {
    what: "an undelegated role",
    body: invalid("ErrBadTargets", { Msg: "tuf: invalid role targets/nobody. delegation does not exist" }),
    code: "SERVER_REJECTED",
    says: /targets\/nobody is not delegated: add it with a setDelegation change/,
  },
  {
    what: "a root certificate for another GUN",
    body: invalid("ErrBadRoot", { Msg: "could not validate the path to a trusted root: unable to retrieve valid leaf certificates" }),
    code: "SERVER_REJECTED",
    says: /its CN must be exactly the GUN \("127\.0\.0\.1:4443\/team\/app"\).*InitializeOptions\.rootCertificate/,
  },
  {
    what: "a root rotation without the old root key",
    body: invalid("ErrBadRoot", { Msg: "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates" }),
    code: "SERVER_REJECTED",
    says: /not signed by the server's current root key\(s\): .*current root private key in PublishOptions\.keys/,
  },
  {
    what: "a client-held snapshot with a wrong targets hash",
    body: invalid("ErrBadSnapshot", { Msg: "sha256 checksum for targets did not match: expected 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81" }),
    code: "SERVER_REJECTED",
    says: /the snapshot names other bytes for targets than the server holds or received/,
  },
  {
    what: "no snapshot and the server lacks its key (unchanged hint)",
    body: invalid("ErrBadHierarchy", { Missing: "snapshot", Msg: "no snapshot was included in update and server does not hold current snapshot key for repository" }),
    code: "SERVER_REJECTED",
    says: /\(ErrBadHierarchy: no snapshot was included .* \(missing: snapshot\)\); the server does not hold the snapshot key: publish with the snapshot private key/,
  },
  {
    what: "a publish to a GUN with no root",
    body: invalid("ErrValidation", { Msg: "no pre-existing root and no root provided in update." }),
    code: "SERVER_REJECTED",
    says: /127\.0\.0\.1:4443\/team\/app is not initialized on this server, or the server URL is wrong: initialize it first \(Repository\.initialize\)/,
  },
  {
    what: "the timestamp key is not the server's (sic: two spaces)",
    body: invalid("ErrBadRoot", { Msg: "no  timestamp keys exist on the server" }),
    code: "SERVER_REJECTED",
    says: /fetch timestamp\.key and rotate the timestamp key in root/,
  },
  {
    what: "a GUN outside the server's gun_prefixes",
    body: '{"errors":[{"code":"INVALID_GUN","message":"The server does not support actions on images of this name.","detail":"Require GUNs with prefix: [allowed.example.com/]"}]}\n',
    code: "SERVER_REJECTED",
    says: /does not serve 127\.0\.0\.1:4443\/team\/app \(INVALID_GUN: Require GUNs with prefix: \[allowed\.example\.com\/\]\).*repositories\.gun_prefixes/,
  },
  {
    what: "a version race (unchanged)",
    body: '{"errors":[{"code":"VERSION","message":"A newer version of metadata is already available.","detail":{}}]}\n',
    code: "SERVER_VERSION_CONFLICT",
    says: /another publisher changed/,
  },
  {
    what: "http:// sent to the TLS port",
    body: "Client sent an HTTP request to an HTTPS server.\n",
    code: "HTTP_SCHEME_MISMATCH",
    says: /^GET root\.json: the notary server at http:\/\/127\.0\.0\.1:4443 speaks HTTPS on this port but was sent plain HTTP .*use https:\/\/127\.0\.0\.1:4443 as NotaryClient's url/,
  },
  { what: "another plain 400 (unchanged)", body: "Bad Request\n", code: "HTTP_ERROR", says: /answered HTTP 400$/ },
];

for (const row of ROWS) {
  test(`hint: ${row.what}`, () => {
    const e = serverError(res(row.status ?? 400, row.body), row.code === "HTTP_SCHEME_MISMATCH" ? "GET root.json" : "publish targets", GUN, URL_);
    assert.equal(e.code, row.code, e.message);
    assert.match(e.message, row.says);
    if (row.notSays) assert.doesNotMatch(e.message, row.notSays);
  });
}

test("hints for the bodies notary's own client provoked (test/fixtures/go/canonical-json.json)", () => {
  type Case = { case: string; http_non_2xx_responses: { status: number; body: string }[] };
  const cases = goJson<{ rejected_and_boundary_cases: Case[] }>("canonical-json.json").rejected_and_boundary_cases;
  const bodyOf = (name: string) => cases.find((c) => c.case === name)!.http_non_2xx_responses[0]!;
  const float = bodyOf("05-custom-float");
  assert.match(serverError(res(float.status, float.body), "publish targets", GUN).message, /json: unsupported value: 1\.5\); the upload holds a number Go's canonical JSON cannot encode/);
  const big = bodyOf("03-length-2p53-plus-1");
  assert.match(serverError(res(big.status, big.body), "publish targets", GUN).message, /not signed by enough of the keys.*a length above 2\^53/);
});

test("advice falls back on the error's name, then on a generic line", () => {
  assert.match(adviceFor("ErrBadTargets", "something new", GUN), /a targets file was refused/);
  assert.doesNotMatch(adviceFor("ErrBadTargets", "something new", GUN), /signing keys/);
  assert.match(adviceFor("ErrBadSnapshot", "something new", GUN), /the snapshot was refused/);
  assert.equal(adviceFor(undefined, "", GUN), "check the change and the keys used");
});

test("404 on a key endpoint names the GUN and the two likely causes", () => {
  const e = serverError(res(404, '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}'), "GET timestamp.key", GUN, URL_);
  assert.equal(e.code, "HTTP_NOT_FOUND");
  assert.match(e.message, /does not serve 127\.0\.0\.1:4443\/team\/app \(a server configured with repositories\.gun_prefixes .*\), or NotaryClient's url is not a notary server's/);
});

test("a GUN the server holds no root for: not initialized on this server, or the server URL is wrong", async () => {
  const fetch = async () => undefined;
  await assert.rejects(updateRepository({ gun: GUN, fetch, now: new Date(0), anchor: { tofu: true }, serverUrl: URL_ }), (e: Error & { code?: string; details?: Record<string, unknown> }) => {
    assert.equal(e.code, "METADATA_NOT_FOUND");
    assert.equal(e.details?.["role"], "root", "the provider reads a missing repository by this role");
    assert.match(e.message, /^127\.0\.0\.1:4443\/team\/app has no trust data on http:\/\/127\.0\.0\.1:4443 \(root\.json not found\): the repository is not initialized on this server, or the server URL is wrong/);
    return true;
  });
});
