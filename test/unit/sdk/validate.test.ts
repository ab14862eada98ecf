/**
 * Validation of changes and repository options before anything is signed or sent (metadata/validate.ts, issue 11).
 * Table-driven: each row mutates one field of a valid change and names the code and the field the error must carry.
 *
 * Where the Go tools stand (notary 0.7.0 Debian, found on 127.0.0.1, see validate-values.ts): they publish length -5
 * (`notary addhash … -- -5`), a 5-byte "sha256" and a target without hashes; notary-server refuses non-base64 hashes
 * ("illegal base64 data"); an unknown FileMeta field or `"custom": null` is stored but breaks every reader.
 * test/fixtures/go/canonical-json.json holds the Go client's own rejected cases (control characters, 2^53+1, 1.5).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { validateChange, validateChanges, validateExpiryPolicy, validateFloor } from "../../../sdk/src/metadata/validate.ts";
import { applyChange, type Change, type Draft } from "../../../sdk/src/metadata/changes.ts";
import { expiryFor } from "../../../sdk/src/metadata/finalize.ts";
import { DAY_MS } from "../../../sdk/src/metadata/time.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyToJson } from "../../../sdk/src/crypto/keys.ts";
import { createRootCertificate } from "../../../sdk/src/crypto/x509.ts";
import { NotaryClient, isNotaryError, type NotaryError } from "../../../sdk/src/index.ts";
import { goJson } from "../helpers/go-fixtures.ts";

const content = new TextEncoder().encode("manifest bytes");
const sha256 = createHash("sha256").update(content).digest();
const sha512 = createHash("sha512").update(content).digest();
const meta = { length: content.length, hashes: { sha256: sha256.toString("base64") } };
const key = PrivateKey.generate();
const keyJson = keyToJson(key.publicKey);
const cert = createRootCertificate({ gun: "example.com/app", privateKeyPkcs8: key.exportPkcs8(), notBefore: new Date("2026-01-01T00:00:00Z") });
const certJson = { keytype: "ecdsa-x509", keyval: { private: null, public: Buffer.from(cert).toString("base64") } };
const ed25519Json = { keytype: "ed25519", keyval: { private: null, public: Buffer.alloc(32, 7).toString("base64") } };

const set = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ type: "setTarget", role: "targets", name: "v1", meta, ...over });
const withMeta = (m: Record<string, unknown>) => set({ meta: { ...meta, ...m } });
const deleg = (over: Record<string, unknown> = {}) => ({ type: "setDelegation", name: "targets/releases", keys: [keyJson], threshold: 1, paths: [""], ...over });

const VALID: [string, unknown][] = [
  ["a docker target (sha256 + size)", set()],
  ["sha256 and sha512, as notary add writes", withMeta({ hashes: { sha256: sha256.toString("base64"), sha512: sha512.toString("base64") } })],
  ["length 0 (an empty file: notary add writes 0)", withMeta({ length: 0 })],
  ["length 2^53-1", withMeta({ length: Number.MAX_SAFE_INTEGER })],
  ["an extra algorithm next to sha256", withMeta({ hashes: { sha256: sha256.toString("base64"), md5: "AAAAAAAAAAAAAAAAAAAAAA==" } })],
  ["custom data", withMeta({ custom: { b: [1, "x", null, true], a: { "<&>": "ü😀" } } })],
  ["custom undefined (left out)", withMeta({ custom: undefined })],
  ["a name with UTF-8 and HTML characters", set({ name: "html<&>ü😀" })],
  ["a delegation target", set({ role: "targets/team/ci" })],
  ["removeTarget of any name", { type: "removeTarget", role: "targets", name: "" }],
  ["setDelegation", deleg()],
  ["setDelegation with 2 keys, threshold 2, no paths", deleg({ keys: [keyJson, ed25519Json], threshold: 2, paths: [] })],
  ["addDelegationKeys without paths", { type: "addDelegationKeys", name: "targets/releases", keys: [certJson] }],
  ["removeDelegationKeys", { type: "removeDelegationKeys", name: "targets/releases", keyIds: [key.id] }],
  ["removeDelegation", { type: "removeDelegation", name: "targets/a/b" }],
  ["witness root, snapshot, targets, a delegation", { type: "witness", role: "targets/releases" }],
  ["rotateKey root to a certificate", { type: "rotateKey", role: "root", keys: [certJson] }],
  ["rotateKey timestamp to the server's ed25519 key", { type: "rotateKey", role: "timestamp", keys: [ed25519Json], threshold: 1 }],
];

for (const [what, change] of VALID) {
  test(`valid: ${what}`, () => {
    validateChange(change);
    validateChanges([change]);
  });
}
for (const role of ["root", "snapshot", "targets"]) test(`valid: witness ${role}`, () => validateChange({ type: "witness", role }));

type Row = [string, unknown, string, RegExp];
const INVALID: Row[] = [
  // issue 11: published, then unreadable; or refused by the server with a misleading hint
  ["length -5", withMeta({ length: -5 }), "INPUT_INVALID", /^changes\[0\]\.meta\.length is -5: .*no reader.*byte/],
  ["length 1.5", withMeta({ length: 1.5 }), "INPUT_INVALID", /meta\.length is 1\.5, not a whole number/],
  ["length as a string", withMeta({ length: "5" }), "INPUT_INVALID", /meta\.length is "5"/],
  ["length 2^53+1 (Go re-encodes it, the signature fails)", withMeta({ length: 2 ** 53 + 2 }), "INPUT_INVALID", /above 2\^53-1/],
  ["a hash that is not base64", withMeta({ hashes: { sha256: "not base64!" } }), "INPUT_INVALID", /meta\.hashes\.sha256 is not base64 .*illegal base64/],
  ["a hex sha256", withMeta({ hashes: { sha256: sha256.toString("hex") } }), "INPUT_INVALID", /decodes to 48 bytes.*looks like hex/],
  ["a 5-byte sha256", withMeta({ hashes: { sha256: "AAAAAAA=" } }), "INPUT_INVALID", /decodes to 5 bytes, but a sha256 digest is 32/],
  ["a sha512 of 32 bytes", withMeta({ hashes: { sha512: sha256.toString("base64") } }), "INPUT_INVALID", /sha512 digest is 64/],
  ["base64 without padding", withMeta({ hashes: { sha256: sha256.toString("base64").replace(/=+$/, "") } }), "INPUT_INVALID", /not base64/],
  ["no hashes", withMeta({ hashes: {} }), "INPUT_INVALID", /has no sha256 or sha512 digest/],
  ["only an unknown algorithm", withMeta({ hashes: { md5: "AAAAAAAAAAAAAAAAAAAAAA==" } }), "INPUT_INVALID", /has no sha256 or sha512/],
  ["an unknown algorithm that is not base64", withMeta({ hashes: { sha256: sha256.toString("base64"), x: "??" } }), "INPUT_INVALID", /hashes\.x is not base64/],
  ["hashes as a string", withMeta({ hashes: "abc" }), "INPUT_INVALID", /meta\.hashes is "abc", not an object/],
  ["meta missing", set({ meta: undefined }), "INPUT_INVALID", /meta is undefined, not file metadata/],
  ["a field FileMeta does not hold", withMeta({ version: 1 }), "INPUT_INVALID", /meta\.version is not a field .*keep only length, hashes and custom/],
  ["custom null", withMeta({ custom: null }), "INPUT_INVALID", /meta\.custom is null: .*leave custom out/],
  ["custom 1.5 (notary: json: unsupported value: 1.5)", withMeta({ custom: { a: 1.5 } }), "CANONICAL_JSON_UNSUPPORTED", /meta\.custom\.a is 1\.5/],
  ["custom with a Date (signed as {})", withMeta({ custom: { at: new Date(0) } }), "INPUT_INVALID", /custom\.at is a Date object/],
  ["custom with a Map", withMeta({ custom: new Map() }), "INPUT_INVALID", /is a Map object/],
  ["custom with a bigint", withMeta({ custom: { n: 1n } }), "INPUT_INVALID", /custom\.n is 1 \(a bigint\)/],
  ["custom with a cycle", withMeta({ custom: (() => { const o: Record<string, unknown> = {}; o["self"] = o; return o; })() }), "INPUT_INVALID", /cycle/],
  ["custom with a control character", withMeta({ custom: ["a\u0001"] }), "CANONICAL_JSON_UNSUPPORTED", /custom\[0\] .*U\+0001/],
  ["an empty target name", set({ name: "" }), "INPUT_INVALID", /name is "": a target needs a non-empty name/],
  ["a name with a tab (notary: invalid character '\\t')", set({ name: "tab\there" }), "CANONICAL_JSON_UNSUPPORTED", /name "tab\\there" contains a control character \(U\+0009\)/],
  ["a name with a lone surrogate", set({ name: "a\ud800" }), "CANONICAL_JSON_UNSUPPORTED", /lone surrogate/],
  ["targets in snapshot", set({ role: "snapshot" }), "METADATA_INVALID_CHANGE", /role is "snapshot", which cannot hold targets/],
  ["an upper-case delegation", set({ role: "targets/Releases" }), "ROLE_NAME_INVALID", /role "targets\/Releases" is not a valid delegation name/],
  ["a role that is not a string", set({ role: 7 }), "INPUT_INVALID", /role is 7/],
  ["an unknown change type", { type: "addTarget" }, "INPUT_INVALID", /type is "addTarget": use one of setTarget/],
  ["a change that is not an object", "setTarget", "INPUT_INVALID", /is "setTarget", not a change/],
  ["delegation named without targets/", deleg({ name: "releases" }), "ROLE_NAME_INVALID", /name "releases" is not a valid delegation name/],
  ["delegation named targets", deleg({ name: "targets" }), "METADATA_INVALID_CHANGE", /a top-level role/],
  ["delegation with ..", deleg({ name: "targets/a/../b" }), "ROLE_NAME_INVALID", /not a valid delegation name/],
  ["no keys", deleg({ keys: [] }), "INPUT_INVALID", /keys is empty: a role needs at least one key/],
  ["threshold 0", deleg({ threshold: 0 }), "METADATA_INVALID_CHANGE", /threshold is 0: .*from 1 to the number of keys given \(1\)/],
  ["threshold above the keys", deleg({ threshold: 2 }), "METADATA_INVALID_CHANGE", /threshold is 2/],
  ["threshold 1.5", deleg({ threshold: 1.5 }), "METADATA_INVALID_CHANGE", /threshold is 1\.5/],
  ["a key with private material", deleg({ keys: [{ ...keyJson, keyval: { public: keyJson.keyval.public, private: "c2VjcmV0" } }] }), "INPUT_INVALID", /keys\[0\] carries private key material/],
  ["an unknown key type", deleg({ keys: [{ keytype: "dsa", keyval: { private: null, public: "AA==" } }] }), "INPUT_INVALID", /key type "dsa"/],
  ["a key that is not DER", deleg({ keys: [{ keytype: "ecdsa", keyval: { private: null, public: "AAAA" } }] }), "INPUT_INVALID", /not a DER public key/],
  ["an ecdsa key named rsa", deleg({ keys: [{ ...keyJson, keytype: "rsa" }] }), "INPUT_INVALID", /holds a ec key, not rsa/],
  ["an ed25519 key of 31 bytes", deleg({ keys: [{ keytype: "ed25519", keyval: { private: null, public: Buffer.alloc(31).toString("base64") } }] }), "INPUT_INVALID", /31 bytes, not 32/],
  ["a certificate key that is not PEM", deleg({ keys: [{ ...certJson, keyval: { private: null, public: "AAAA" } }] }), "INPUT_INVALID", /not a PEM certificate/],
  ["paths not a list", deleg({ paths: "v1" }), "INPUT_INVALID", /paths is "v1", not a list/],
  ["a path with a newline", deleg({ paths: ["nl\nx"] }), "CANONICAL_JSON_UNSUPPORTED", /paths\[0\] .*U\+000a/],
  ["a path that is not a string", { type: "addDelegationKeys", name: "targets/x", keys: [keyJson], paths: [1] }, "INPUT_INVALID", /paths\[0\] is 1/],
  ["removeDelegationKeys without IDs", { type: "removeDelegationKeys", name: "targets/x", keyIds: [] }, "INPUT_INVALID", /keyIds is empty: at least one key ID/],
  ["an upper-case key ID", { type: "removeDelegationKeys", name: "targets/x", keyIds: [key.id.toUpperCase()] }, "INPUT_INVALID", /keyIds\[0\] is .*64 lowercase hex/],
  ["witness timestamp", { type: "witness", role: "timestamp" }, "METADATA_INVALID_CHANGE", /notary-server signs the timestamp itself/],
  ["witness a bad name", { type: "witness", role: "target/x" }, "ROLE_NAME_INVALID", /not a valid delegation name/],
  ["rotateKey of a delegation", { type: "rotateKey", role: "targets/x", keys: [keyJson] }, "METADATA_INVALID_CHANGE", /set a delegation's keys with setDelegation/],
  ["rotateKey of a bad role", { type: "rotateKey", role: "Root", keys: [keyJson] }, "ROLE_NAME_INVALID", /role is "Root"/],
  ["rotateKey without keys", { type: "rotateKey", role: "targets", keys: [] }, "INPUT_INVALID", /keys is empty/],
  ["rotateKey threshold 0", { type: "rotateKey", role: "targets", keys: [keyJson], threshold: 0 }, "METADATA_INVALID_CHANGE", /threshold is 0/],
];

const refused = (code: string, message: RegExp, field: string) => (e: unknown) => {
  assert.ok(isNotaryError(e), `a NotaryError, got ${String(e)}`);
  assert.equal((e as NotaryError).code, code, (e as Error).message);
  assert.match((e as Error).message, message);
  assert.ok(String((e as NotaryError).details?.["field"] ?? "").startsWith(field), `details.field names ${field}`);
  return true;
};

for (const [what, change, code, message] of INVALID) {
  test(`invalid: ${what} → ${code}`, () => {
    assert.throws(() => validateChanges([change]), refused(code, message, "changes[0]"));
    // applyChange (every publish path) refuses it before touching the draft, naming the field from "change".
    const bare = new RegExp(message.source.replace(/^\^?changes\\\[0\\\]/, "^change"));
    assert.throws(() => applyChange({} as Draft, change as Change), refused(code, bare, "change"));
  });
}

test("the index of the bad change is named; a list is required", () => {
  assert.throws(() => validateChanges([set(), set(), withMeta({ length: -1 })]), { message: /^changes\[2\]\.meta\.length is -1/ });
  assert.throws(() => validateChanges(set()), { code: "INPUT_INVALID", message: /^changes is an object/ });
});

test("the Go client's own rejected targets (test/fixtures/go/canonical-json.json) are refused here before signing", () => {
  type Case = { case: string; command: string; exit_code: number; custom_file_bytes?: string };
  const cases = goJson<{ rejected_and_boundary_cases: Case[] }>("canonical-json.json").rejected_and_boundary_cases;
  const rejected = cases.filter((c) => c.exit_code !== 0).map((c) => c.case);
  assert.deepEqual(rejected.slice(0, 4), ["01-tab-in-name", "02-newline-in-name", "03-length-2p53-plus-1", "05-custom-float"]);
  assert.throws(() => validateChange(set({ name: "tab\there" })), { code: "CANONICAL_JSON_UNSUPPORTED" });
  assert.throws(() => validateChange(set({ name: "nl\nhere" })), { code: "CANONICAL_JSON_UNSUPPORTED" });
  assert.throws(() => validateChange(withMeta({ length: 9007199254740993 })), { code: "INPUT_INVALID" });
  assert.throws(() => validateChange(withMeta({ custom: JSON.parse(cases.find((c) => c.case === "05-custom-float")!.custom_file_bytes!) })), {
    code: "CANONICAL_JSON_UNSUPPORTED",
  });
});

const NOW = new Date("2026-12-03T00:00:00Z");
test("expiry policy: lifetimes are whole milliseconds > 0 giving an RFC 3339 expiry", () => {
  validateExpiryPolicy({}, NOW);
  validateExpiryPolicy({ root: 3650 * DAY_MS, targets: 2_500, snapshot: 7 * DAY_MS, delegation: undefined }, NOW);
  const rows: [unknown, RegExp][] = [
    [{ targets: -1000 }, /^expiry\.targets is -1000, which gives an expiry in the past: a lifetime is a whole number of milliseconds > 0/],
    [{ targets: 0 }, /expiry\.targets is 0, which gives an expiry in the past/],
    [{ root: 1.5 }, /expiry\.root is 1\.5/],
    [{ snapshot: "30d" }, /expiry\.snapshot is "30d"/],
    [{ delegation: 10_000 * 365 * DAY_MS }, /after the year 9999/],
    [{ targetsDays: 30 }, /expiry\.targetsDays is not a lifetime this SDK sets: use root, targets, snapshot, delegation/],
    [{ timestamp: DAY_MS }, /notary-server sets the timestamp's/],
    [null, /^expiry is null/],
  ];
  for (const [policy, message] of rows) assert.throws(() => validateExpiryPolicy(policy, NOW), { code: "INPUT_INVALID", message }, JSON.stringify(policy));
  // expiryFor (finalizeDraft, initialFiles) refuses what a low-level caller passes without validation.
  assert.throws(() => expiryFor("targets/releases", NOW, { delegation: -1 }), { code: "INPUT_INVALID", message: /^expiry\.delegation \(the lifetime of targets\/releases\) is -1/ });
  assert.equal(expiryFor("targets", NOW, { targets: 2_500 }), "2026-12-03T00:00:02.5Z");
});

test("version floor: role names and versions ≥ 1", () => {
  validateFloor({ root: 1, timestamp: 9, snapshot: 3, targets: 2, "targets/releases": 1 });
  assert.throws(() => validateFloor({ targets: 0 }), { code: "INPUT_INVALID", message: /^floor\["targets"\] is 0: a version is a whole number ≥ 1/ });
  assert.throws(() => validateFloor({ targets: -2 }), { code: "INPUT_INVALID" });
  assert.throws(() => validateFloor({ targets: 1.5 }), { code: "INPUT_INVALID" });
  assert.throws(() => validateFloor({ Targets: 2 }), { code: "INPUT_INVALID", message: /floor\["Targets"\] is not a role name/ });
  assert.throws(() => validateFloor([1]), { code: "INPUT_INVALID", message: /^floor is an array/ });
});

test("a repository handle refuses a bad expiry policy or floor when made or configured (nothing sent)", async () => {
  const client = new NotaryClient({ url: "http://127.0.0.1:9", now: () => NOW });
  assert.throws(() => client.repository("example.com/app", { expiry: { targets: -1000 } }), {
    code: "INPUT_INVALID",
    message: /^RepositoryOptions\.expiry\.targets is -1000, which gives an expiry in the past/,
  });
  const repo = client.repository("example.com/app");
  assert.throws(() => repo.configure({ floor: { root: 0 } }), { code: "INPUT_INVALID", message: /^RepositoryOptions\.floor\["root"\] is 0/ });
  assert.throws(() => repo.configure({ expiry: { snapshot: -1 } }), { code: "INPUT_INVALID" });
  await client.close();
});

test("publish refuses malformed changes before any request", async () => {
  const client = new NotaryClient({ url: "http://127.0.0.1:9" });
  const repo = client.repository("example.com/app", { anchor: { tofu: true } });
  let requests = 0;
  Object.defineProperty(repo.server, "transport", { value: () => (requests++, Promise.reject(new Error("no request expected"))) });
  for (const change of [withMeta({ length: -5 }), withMeta({ hashes: { sha256: "not base64!" } }), set({ name: "" })]) {
    await assert.rejects(repo.publish([change as Change], { keys: [key] }), { code: "INPUT_INVALID", message: /^changes\[0\]\./ });
  }
  assert.equal(requests, 0);
  assert.deepEqual(repo.counters, { fetches: 0, publishes: 0, conflicts: 0 });
  await client.close();
});
