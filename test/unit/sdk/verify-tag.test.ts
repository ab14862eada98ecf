// verifyTag over repositories the Go tools wrote (test/fixtures/go: docker-signers, notary-deleg), read through the SDK
// from their pinned roots: which digest a tag is signed to, by which signers and keys, and the reason when a policy is
// not met. docker-signers (repo.json notes): `docker trust signer add` alice then bob, then `notary addhash` v1 into
// targets/releases + targets/alice, v2 into targets/releases only; notary signed targets/releases with both keys it
// held (alice's and bob's), targets/alice with alice's. targets/bob was never signed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { updateRepository, type RepoState, type TargetsRoleState } from "../../../sdk/src/trust/update.ts";
import { verifyTag, type TagPolicy } from "../../../sdk/src/trust/verify-tag.ts";
import { isNotaryError, type NotaryError } from "../../../sdk/src/errors.ts";
import { NOW, fakeFetcher, goJson, keyIdsJson, loadServedRepo, repoJson, type RepoName } from "../helpers/go-fixtures.ts";

type Inspect = { SignedTags: { SignedTag: string; Digest: string }[]; AdministrativeKeys: { Name: string; Keys: { ID: string }[] }[] };
const INSPECT = goJson<Inspect[]>("repos/docker-signers/inspect-after-tags.json")[0]!;
const ROOT_ID = INSPECT.AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID;
const V1 = `sha256:${INSPECT.SignedTags.find((t) => t.SignedTag === "v1")!.Digest}`;
const V2 = `sha256:${INSPECT.SignedTags.find((t) => t.SignedTag === "v2")!.Digest}`;
const ALICE_KEY = "93727a930c8a18b6655807b293f5d4175e8b6a480df9955b8980347c63eb1c9f";
const BOB_KEY = "a3108bf21831720fc7ca2f6a5f62981b60636b7059b5faad0e886ecb94c13bea";

async function read(name: RepoName, rootKeyIds?: string[]): Promise<RepoState> {
  const { fetch } = fakeFetcher(loadServedRepo(name));
  return updateRepository({ gun: repoJson(name).gun, fetch, now: NOW, anchor: rootKeyIds ? { rootKeyIds } : { tofu: true } });
}

/** The state with one role's status as the SDK sets it for an expired or badly signed file. */
function withStatus(state: RepoState, role: string, status: TargetsRoleState["status"], problem: string): RepoState {
  const roles = new Map(state.roles);
  roles.set(role, { ...state.roles.get(role)!, status, problem });
  return { ...state, roles };
}

function failsWith(state: RepoState, tag: string, policy: TagPolicy, ...messages: RegExp[]): NotaryError {
  let caught: unknown;
  assert.throws(() => verifyTag(state, tag, policy), (e) => ((caught = e), isNotaryError(e, "VERIFICATION_FAILED")));
  const err = caught as NotaryError;
  for (const m of messages) assert.match(err.message, m);
  return err;
}

test("no policy: the digest docker's trusted pull resolves (targets/releases), with every role that signs it", async () => {
  const state = await read("docker-signers", [ROOT_ID]);
  assert.deepEqual(verifyTag(state, "v1"), {
    gun: "127.0.0.1:5999/vectors/docker-signers",
    tag: "v1",
    digest: V1,
    size: 528,
    signedBy: ["targets/releases"],
    roles: ["targets/alice", "targets/releases"],
  });
  assert.equal(verifyTag(state, "v2").digest, V2);
  assert.equal(verifyTag(state, "v2", { digest: V2.toUpperCase().replace("SHA256", "sha256") }).digest, V2, "hex in either case");
});

test("signers by docker name or role name, counted distinct against the threshold", async () => {
  const state = await read("docker-signers", [ROOT_ID]);
  assert.deepEqual(verifyTag(state, "v1", { signers: ["alice"] }).signedBy, ["alice"]);
  assert.deepEqual(verifyTag(state, "v1", { signers: ["targets/alice", "targets/releases"], threshold: 2 }).signedBy, ["targets/alice", "targets/releases"]);
  assert.deepEqual(verifyTag(state, "v1", { signers: ["alice", "bob"] }).signedBy, ["alice"], "threshold 1 of two");
  failsWith(
    state,
    "v1",
    { signers: ["alice", "targets/alice", "bob"], threshold: 2 },
    /^127\.0\.0\.1:5999\/vectors\/docker-signers:v1 is not signed as required: required 2 of \[alice \(targets\/alice\), bob \(targets\/bob\)\] to sign sha256:71ab12fe[0-9a-f]{56} for v1 \(only alice does\); /,
    /targets\/alice signs sha256:71ab12fe/,
    /targets\/bob is delegated but has never been signed/,
    /Have the required signers sign it/,
  );
});

test("a signer that signs another digest, or not the tag at all, does not count", async () => {
  const state = await read("docker-signers", [ROOT_ID]);
  failsWith(state, "v2", { signers: ["alice"] }, /targets\/alice does not sign v2/, /targets\/releases signs sha256:73a61d2d/);
  const err = failsWith(state, "v1", { digest: V2 }, /required v1 to resolve to sha256:73a61d2d[0-9a-f]{56} as docker's trusted pull reads it/, /targets\/releases signs sha256:71ab12fe[0-9a-f]{56}, another digest/);
  assert.deepEqual(err.details?.["required"], { signers: [], keyIds: [], threshold: 1 });
  failsWith(state, "v1", { signers: ["alice"], digest: V2 }, /targets\/alice signs sha256:71ab12fe[0-9a-f]{56}, another digest/);
  failsWith(state, "nope", {}, /^nope is not signed in any valid role of 127\.0\.0\.1:5999\/vectors\/docker-signers: /);
});

test("keys: a valid signature on a role that signs the digest, by one of that role's keys", async () => {
  const state = await read("docker-signers", [ROOT_ID]);
  // bob's key signed targets/releases (notary signs with every key it holds), which signs v1; targets/bob signs nothing.
  assert.deepEqual(verifyTag(state, "v1", { keyIds: [BOB_KEY] }).signedBy, [BOB_KEY]);
  failsWith(state, "v1", { signers: ["bob"] }, /targets\/bob is delegated but has never been signed/);
  assert.deepEqual(verifyTag(state, "v1", { keyIds: [ALICE_KEY, BOB_KEY.toUpperCase()], threshold: 2 }).signedBy, [ALICE_KEY, BOB_KEY]);
  assert.deepEqual(verifyTag(state, "v1", { signers: ["alice"], keyIds: [BOB_KEY], threshold: 2 }).signedBy, ["alice", BOB_KEY]);
  failsWith(state, "v1", { keyIds: ["ab".repeat(32)] }, /key abab[0-9a-f]{60} is no key of any role/);
  // The targets key signed targets.json, which signs no v1.
  const targetsKey = INSPECT.AdministrativeKeys.find((k) => k.Name === "Repository")!.Keys[0]!.ID;
  failsWith(state, "v1", { keyIds: [targetsKey] }, /targets does not sign v1/);
});

test("keys by canonical ID or TUF ID (an ecdsa-x509 delegation key notary made), in nested roles within their paths", async () => {
  const state = await read("notary-deleg");
  const cert = keyIdsJson().keys.find((k) => k.keyid.startsWith("662e77cd"))!;
  assert.equal(cert.keytype, "ecdsa-x509");
  assert.notEqual(cert.canonical_keyid, cert.keyid);
  for (const id of [cert.keyid, cert.canonical_keyid!]) assert.deepEqual(verifyTag(state, "v1", { keyIds: [id] }).signedBy, [id]);
  assert.deepEqual(verifyTag(state, "prod/qa/build", { signers: ["alice/qa"] }).roles, ["targets/alice/qa"]);
  failsWith(state, "top-level", { signers: ["alice"] }, /targets\/alice does not sign top-level/, /targets signs sha256:/);
});

test("a role listed outside its paths, expired, or not validly signed signs nothing, and the reason says so", async () => {
  const state = await read("docker-signers", [ROOT_ID]);
  const expired = withStatus(state, "targets/alice", "expired", "targets/alice expired at 2026-01-01T00:00:00Z");
  failsWith(expired, "v1", { signers: ["alice"] }, /targets\/alice expired at 2026-01-01T00:00:00Z, so it signs nothing \(its file lists v1 → sha256:71ab12fe[0-9a-f]{56}\)/);
  assert.deepEqual(verifyTag(expired, "v1").roles, ["targets/releases"]);
  const invalid = withStatus(state, "targets/releases", "invalid", "targets/releases metadata has 0 valid signature(s)");
  failsWith(invalid, "v1", { keyIds: [BOB_KEY] }, /targets\/releases is not trusted \(targets\/releases metadata has 0 valid signature\(s\)\), so it signs nothing/);
  assert.deepEqual(verifyTag(invalid, "v1").signedBy, ["targets/alice"], "no releases: the first role a breadth-first lookup finds");
  const topExpired = withStatus(state, "targets", "expired", "targets expired at 2026-01-01T00:00:00Z");
  failsWith(topExpired, "v1", { signers: ["alice"] }, /targets\/alice is not trusted \(targets is expired\)/);
  const deleg = await read("notary-deleg");
  const outside = { ...deleg, roles: new Map([...deleg.roles].map(([k, v]) => [k, k === "targets/alice" ? { ...v, paths: ["prod/"] } : v])) };
  failsWith(outside, "v1", { signers: ["alice"] }, /targets\/alice lists v1 outside its delegated paths \(ignored\)/);
});

test("a malformed policy is INPUT_INVALID, naming the field", async () => {
  const state = await read("docker-signers", [ROOT_ID]);
  const cases: [TagPolicy, RegExp][] = [
    [{ signers: ["Alice"] }, /^signers: "Alice" is neither a docker signer name/],
    [{ signers: ["alice"], threshold: 2 }, /^threshold: is 2 but only 1 distinct signer\(s\) and key\(s\) are named/],
    [{ signers: ["alice", "targets/alice"], threshold: 2 }, /only 1 distinct/],
    [{ threshold: 0 }, /^threshold: must be a whole number ≥ 1/],
    [{ keyIds: ["abc"] }, /^keyIds: "abc" is not a key ID/],
    [{ digest: "sha256:abc" }, /^digest: "sha256:abc" is not "sha256:" followed by 64 hex digits/],
  ];
  for (const [policy, message] of cases) {
    assert.throws(() => verifyTag(state, "v1", policy), (e) => isNotaryError(e, "INPUT_INVALID") && message.test((e as Error).message), JSON.stringify(policy));
  }
});
