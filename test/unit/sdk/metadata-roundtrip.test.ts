/**
 * Go metadata through our models and back: parse (envelope → schema) and re-serialize every served file and compare
 * with the Go bytes (our models hold exactly Go's fields, reference §1.5, §5); re-sign Go metadata with the Go private
 * keys and compare the result with the Go file, with only the signature value substituted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson, wireBytes } from "../../../sdk/src/canonical-json.ts";
import { parseEnvelope, signRole } from "../../../sdk/src/metadata/signed.ts";
import { parseRoot, parseSnapshot, parseTargets, parseTimestamp } from "../../../sdk/src/metadata/schema.ts";
import { verifySignature } from "../../../sdk/src/crypto/verify.ts";
import { keyFromJson } from "../../../sdk/src/crypto/keys.ts";
import type { AnyRole, Root, Signature, Targets } from "../../../sdk/src/metadata/types.ts";
import {
  REPO_NAMES,
  goBytes,
  goJson,
  loadPrivateKeys,
  servedFiles,
  signaturesJson,
  utf8Text,
  type RepoName,
} from "../helpers/go-fixtures.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const MALFORMED = { code: "METADATA_MALFORMED" };
const GO_CANONICAL = new Map<string, string>();
for (const s of signaturesJson().signatures) for (const f of s.files) GO_CANONICAL.set(f, s.signed_canonical_b64);

function parseModel(raw: Record<string, unknown>, role: string): AnyRole {
  switch (raw["_type"]) {
    case "Root":
      return parseRoot(raw);
    case "Targets":
      return parseTargets(raw, role);
    case "Snapshot":
      return parseSnapshot(raw);
    case "Timestamp":
      return parseTimestamp(raw);
    default:
      throw new Error(`unexpected _type ${String(raw["_type"])}`);
  }
}

const FILES = REPO_NAMES.flatMap((n) => [...servedFiles(n)].map(([role, rel]) => ({ repo: n, role: role.replace(/^\d+\./, ""), rel })));

for (const { role, rel } of FILES) {
  test(`${rel}: envelope → model → canonical → wire reproduces the Go bytes`, () => {
    const bytes = goBytes(rel);
    const env = parseEnvelope(bytes, role);
    assert.equal(hex(env.signedBytes), hex(Buffer.from(GO_CANONICAL.get(rel)!, "base64")));
    assert.equal(env.bytes, bytes);
    const model = parseModel(env.rawSigned, role);
    const mode = rel === "repos/notary-rejects/targets.json" ? "verify" : "produce"; // holds the 2^53 boundary length
    const canonical = canonicalJson(model, { mode });
    assert.equal(canonical, utf8Text(env.signedBytes), "the model carries exactly the signed fields");
    assert.equal(hex(wireBytes(canonical, env.signatures)), hex(bytes));
  });
}

/**
 * Go's file with each signature's `sig` value replaced by ours. Go orders several signatures by map iteration (random),
 * so Go's own signature objects (verbatim text) are put in our order; everything else is Go's bytes.
 */
function goBytesWithSigs(rel: string, ours: readonly Signature[]): string {
  const text = utf8Text(goBytes(rel));
  const go = (JSON.parse(text) as { signatures: Signature[] }).signatures;
  assert.deepEqual(
    go.map((s) => `${s.keyid}/${s.method}`).sort(),
    ours.map((s) => `${s.keyid}/${s.method}`).sort(),
    "same signing keys and methods as Go",
  );
  const objects = go.map((g) => {
    const obj = `{"keyid":"${g.keyid}","method":"${g.method}","sig":"${g.sig}"}`;
    assert.ok(text.includes(obj), "Go's signature object, verbatim");
    return { keyid: g.keyid, obj };
  });
  const start = text.indexOf(',"signatures":[');
  assert.ok(start > 0 && text.endsWith("]}"));
  const sigs = ours.map((o) => {
    const g = objects.find((x) => x.keyid === o.keyid)!;
    return g.obj.replace(/"sig":"[^"]*"/, `"sig":"${o.sig}"`);
  });
  return `${text.slice(0, start)},"signatures":[${sigs.join(",")}]}`;
}

type SignCase = { repo: RepoName; rel: string; role: string; parent?: string };
const SIGN_CASES: SignCase[] = [
  { repo: "notary-basic", rel: "repos/notary-basic/root.json", role: "root" },
  { repo: "notary-basic", rel: "repos/notary-basic/targets.json", role: "targets" },
  { repo: "notary-basic", rel: "repos/notary-basic/snapshot.json", role: "snapshot" },
  { repo: "notary-deleg", rel: "repos/notary-deleg/targets/releases.json", role: "targets/releases", parent: "repos/notary-deleg/targets.json" },
  { repo: "notary-deleg", rel: "repos/notary-deleg/targets/alice/qa.json", role: "targets/alice/qa", parent: "repos/notary-deleg/targets/alice.json" },
  { repo: "notary-rsa", rel: "repos/notary-rsa/targets/rsacert.json", role: "targets/rsacert", parent: "repos/notary-rsa/targets.json" },
  { repo: "notary-rsa", rel: "repos/notary-rsa/targets/rsapub.json", role: "targets/rsapub", parent: "repos/notary-rsa/targets.json" },
  { repo: "docker-signers", rel: "repos/docker-signers/targets/releases.json", role: "targets/releases", parent: "repos/docker-signers/targets.json" },
  { repo: "notary-rotated", rel: "repos/notary-rotated/root.json", role: "root" },
];

for (const c of SIGN_CASES) {
  test(`signRole with the Go private keys re-creates ${c.rel} (only the signature values differ)`, () => {
    const env = parseEnvelope(goBytes(c.rel), c.role);
    const model = parseModel(env.rawSigned, c.role);
    const keys = [...loadPrivateKeys(c.repo).values()];
    let signing;
    if (c.parent) {
      const parent = parseTargets(parseEnvelope(goBytes(c.parent), "parent").rawSigned);
      const d = parent.delegations.roles.find((r) => r.name === c.role)!;
      signing = { keys: parent.delegations.keys, keyids: d.keyids, threshold: d.threshold, role: c.role };
    } else {
      const root = parseRoot(parseEnvelope(goBytes(`repos/${c.repo}/root.json`), "root").rawSigned);
      const r = root.roles[c.role]!;
      signing = { keys: root.keys, keyids: r.keyids, threshold: r.threshold, role: c.role };
      if (c.role === "root" && c.repo === "notary-rotated") {
        // v4 was signed by the new and the previous root key (both certs are in keys; both private keys are held).
        const v3 = parseRoot(parseEnvelope(goBytes("repos/notary-rotated/3.root.json"), "root").rawSigned);
        signing = { ...signing, keyids: [...r.keyids, ...v3.roles["root"]!.keyids] };
      }
    }
    const signed = signRole(model, signing, keys);
    assert.equal(utf8Text(signed.bytes), goBytesWithSigs(c.rel, signed.signatures));
    for (const s of signed.signatures) {
      const key = keyFromJson(signing.keys[s.keyid]!);
      assert.equal(verifySignature(s.method, key, env.signedBytes, Buffer.from(s.sig, "base64")), true);
    }
  });
}

test("signRole without the role's private key → SIGNING_KEY_MISSING naming the role", () => {
  const env = parseEnvelope(goBytes("repos/notary-basic/targets.json"), "targets");
  const root = parseRoot(parseEnvelope(goBytes("repos/notary-basic/root.json"), "root").rawSigned);
  const keys = [...loadPrivateKeys("notary-basic").values()].filter((k) => !root.roles["targets"]!.keyids.includes(k.id));
  const r = root.roles["targets"]!;
  assert.throws(() => signRole(parseTargets(env.rawSigned), { keys: root.keys, keyids: r.keyids, threshold: 1, role: "targets" }, keys), (e: unknown) => {
    assert.equal((e as { code: string }).code, "SIGNING_KEY_MISSING");
    assert.match((e as Error).message, /targets/);
    return true;
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Schema: what Go tolerates, what it rejects

const basicTargets = () => structuredClone(goJson<{ signed: Record<string, unknown> }>("repos/notary-basic/targets.json").signed);
const basicRoot = () => structuredClone(goJson<{ signed: Record<string, unknown> }>("repos/notary-basic/root.json").signed);
const basicSnapshot = () => structuredClone(goJson<{ signed: Record<string, unknown> }>("repos/notary-basic/snapshot.json").signed);
const basicTimestamp = () => structuredClone(goJson<{ signed: Record<string, unknown> }>("repos/notary-basic/timestamp.json").signed);

test("schema tolerates what Go's structs tolerate, and the model re-serializes as Go would", () => {
  const t = basicTargets();
  t["delegations"] = null;
  t["targets"] = null;
  t["extra"] = "dropped by Go's struct";
  t["expires"] = "2029-11-21T02:12:20.025055010+00:00";
  const m = parseTargets(t);
  assert.deepEqual(m.delegations, { keys: {}, roles: [] });
  assert.deepEqual(m.targets, {});
  assert.equal(m.expires, "2029-11-21T02:12:20.02505501Z");
  assert.equal(
    canonicalJson(m),
    '{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2029-11-21T02:12:20.02505501Z","targets":{},"version":3}',
  );
  // paths: [] and null are omitted (omitempty); [""] is kept
  const d = structuredClone(goJson<{ signed: Targets }>("repos/notary-deleg/targets.json").signed) as unknown as {
    delegations: { roles: { paths?: string[] | null }[] };
  };
  d.delegations.roles[0]!.paths = [];
  d.delegations.roles[1]!.paths = null;
  const dm = parseTargets(d);
  assert.equal("paths" in dm.delegations.roles[0]!, false);
  assert.equal("paths" in dm.delegations.roles[1]!, false);
  assert.deepEqual(parseTargets(goJson<{ signed: unknown }>("repos/notary-deleg/targets.json").signed).delegations.roles[0]!.paths, [""]);
  // root: consistent_snapshot defaults to false
  const r = basicRoot();
  delete r["consistent_snapshot"];
  assert.equal((parseRoot(r) as Root).consistent_snapshot, false);
});

test("schema rejects malformed metadata with METADATA_MALFORMED (table)", () => {
  const cases: [string, () => unknown][] = [
    ["targets _type Root", () => parseTargets({ ...basicTargets(), _type: "Root" })],
    ["targets version 0", () => parseTargets({ ...basicTargets(), version: 0 })],
    ["targets version 1.5", () => parseTargets({ ...basicTargets(), version: 1.5 })],
    ["targets version string", () => parseTargets({ ...basicTargets(), version: "3" })],
    ["targets expires not RFC 3339", () => parseTargets({ ...basicTargets(), expires: "2029-11-21" })],
    ["targets missing expires", () => parseTargets({ ...basicTargets(), expires: undefined })],
    ["target length negative", () => parseTargets({ ...basicTargets(), targets: { x: { length: -1, hashes: { sha256: "AA==" } } } })],
    ["target hash not base64", () => parseTargets({ ...basicTargets(), targets: { x: { length: 1, hashes: { sha256: "%%" } } } })],
    ["target without hashes", () => parseTargets({ ...basicTargets(), targets: { x: { length: 1 } } })],
    ["root lowercase _type", () => parseRoot({ ...basicRoot(), _type: "root" })],
    ["root without keys", () => parseRoot({ ...basicRoot(), keys: undefined })],
    ["root key with private bytes", () => {
      const r = basicRoot() as { keys: Record<string, { keyval: { private: unknown } }> };
      Object.values(r.keys)[0]!.keyval.private = "c2VjcmV0";
      return parseRoot(r);
    }],
    ["snapshot without meta", () => parseSnapshot({ ...basicSnapshot(), meta: undefined })],
    ["timestamp without meta.snapshot", () => parseTimestamp({ ...basicTimestamp(), meta: {} })],
    ["timestamp as snapshot", () => parseSnapshot(basicTimestamp())],
  ];
  for (const [what, fn] of cases) assert.throws(fn, MALFORMED, what);
});

test("parseEnvelope rejects what is not a signed envelope, before any signature is checked (table)", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const cases: [string, Uint8Array][] = [
    ["not JSON", enc("{")],
    ["not UTF-8", Uint8Array.of(0x7b, 0xff, 0x7d)],
    ["array", enc("[]")],
    ["no signed", enc('{"signatures":[]}')],
    ["signed not an object", enc('{"signed":"x","signatures":[]}')],
    ["sig not base64", enc('{"signed":{},"signatures":[{"keyid":"a","method":"ecdsa","sig":"!!"}]}')],
    ["float inside signed", enc('{"signed":{"version":1.5},"signatures":[]}')],
  ];
  for (const [what, b] of cases) assert.throws(() => parseEnvelope(b, "targets"), MALFORMED, what);
  assert.deepEqual(parseEnvelope(enc('{"signed":{},"signatures":null}'), "targets").signatures, []);
});
