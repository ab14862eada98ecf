/**
 * GUNs by docker's repository-name grammar (metadata/gun.ts, issue 11): the SDK (NotaryClient.repository) and the
 * provider's check (assertGunInput, so `pulumi preview` refuses) accept exactly what docker accepts as a name.
 *
 * Provenance of the table: the grammar of distribution/reference `regexp.go` (`anchoredNameRegexp`, separator
 * `[._]|__|[-]+`, `domainAndPort`) and `reference.go` (255 characters, 64-hex IDs refused); every row was run through
 * docker CLI 28.2.2 on 2026-12-03 (`DOCKER_CONTENT_TRUST_SERVER=https://127.0.0.1:1 docker trust inspect NAME`: "invalid
 * reference format…" / "…must not be more than 255 characters" / "…cannot specify 64-byte hexadecimal strings" for
 * the invalid ones, "no signatures or cannot access NAME" for the valid ones), and test/integration/validation.test.ts
 * repeats that comparison against the installed docker. Tags and digests are valid image references but not GUNs:
 * docker's GUN is the name without them (reference §8.3). The notary CLI and notary-server accept all of these rows
 * except those with `?` (`notary init example.com/exp/a?b` fails: "timestamp key trust data unavailable").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertGun, gunProblem, isGun } from "../../../sdk/src/metadata/gun.ts";
import { NotaryServer } from "../../../sdk/src/remote/notary-server.ts";
import { NotaryClient, parseImageReference } from "../../../sdk/src/index.ts";
import { assertGunInput, type CheckFailure } from "../../../provider/src/runtime/checks.ts";

/** Names docker accepts (without tag or digest). */
export const DOCKER_VALID: readonly string[] = [
  "app",
  "docker.io/library/alpine",
  "127.0.0.1:5000/team/app",
  "registry.example.com/team/app",
  "localhost/app",
  "localhost:5000/a",
  "[::1]:5000/a",
  "UPPER/app", // an upper-case first component is a registry host (splitDomain)
  "Example.COM:443/x",
  "a--b/c__d/e.f",
  "a---b",
  "x/y/z/w",
  `${"a".repeat(250)}/b`,
  `a/${"b".repeat(253)}`, // 255 characters
  "a".repeat(63),
];

/** Names docker refuses, with the part of the message that says what is wrong. */
export const DOCKER_INVALID: readonly [string, RegExp][] = [
  ["Example.com/Exp/App", /has upper case in the repository path \("Exp"\): docker refuses such names: use "Example.com\/exp\/app"/],
  ["example.com/App", /use "example.com\/app"/],
  ["a___b", /invalid path component "a___b"/],
  ["example.com/app-ü", /invalid path component "app-ü" \("ü" is not allowed\)/],
  ["example.com/app-ü?", /"ü" is not allowed/],
  ["example.com/a?b", /"\?" is not allowed/],
  ["example.com/a#b", /"#" is not allowed/],
  ["example.com/a%3Fb", /"%" is not allowed/],
  ["app-", /invalid path component "app-"/],
  ["-app", /invalid path component "-app"/],
  ["app_", /invalid path component "app_"/],
  ["ex_ample.com:5000/app", /starts with "ex_ample.com:5000", which is not a registry host\[:port\]/],
  ["example.com:port/app", /not a registry host\[:port\]/],
  ["/app", /empty path component/],
  ["app/", /empty path component/],
  ["a//b", /empty path component/],
  ["a b", /whitespace or a control character/],
  ["a\tb", /whitespace or a control character/],
  ["a".repeat(64), /64-hex image ID/],
  ["a".repeat(256), /is 256 characters long: docker allows at most 255/],
];

/** Image references that are valid for docker but carry a tag or digest: never a GUN. */
const TAGGED: readonly [string, RegExp][] = [
  ["example.com/app:v1", /^GUN "example.com\/app:v1" has a tag \(:v1\): a GUN names the repository without tag or digest: use "example.com\/app"$/],
  [`example.com/app@sha256:${"ab".repeat(32)}`, /has a digest \(@sha256:ababababababa…\): a GUN names the repository without tag or digest: use "example.com\/app"/],
  [`127.0.0.1:5000/app:v1@sha256:${"ab".repeat(32)}`, /has a digest .*use "127.0.0.1:5000\/app"$/],
  ["localhost:5000", /has a tag \(:5000\)/],
  ["Example.com/App:v1", /has a tag \(:v1\): .*use the repository name alone/],
];

for (const gun of DOCKER_VALID) {
  test(`docker accepts ${JSON.stringify(gun.slice(0, 40))}: a valid GUN`, () => {
    assert.equal(gunProblem(gun), undefined);
    assert.ok(isGun(gun));
    assertGun(gun);
    const f: CheckFailure[] = [];
    assertGunInput(gun, "gun", f);
    assert.deepEqual(f, []);
  });
}

for (const [gun, message] of [...DOCKER_INVALID, ...TAGGED]) {
  test(`refused: ${JSON.stringify(gun.slice(0, 40))}`, () => {
    assert.equal(isGun(gun), false);
    assert.throws(() => assertGun(gun), (e: Error & { code?: string }) => e.code === "GUN_INVALID" && message.test(e.message) && e.message.startsWith("GUN "));
    // pulumi preview: the provider's check says the same, on the property.
    const f: CheckFailure[] = [];
    assertGunInput(gun, "gun", f);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.property, "gun");
    assert.match(f[0]!.reason, message);
    // and no repository handle is made for it
    const client = new NotaryClient({ url: "http://127.0.0.1:9" });
    assert.throws(() => client.repository(gun), { code: "GUN_INVALID" });
  });
}

test("empty and non-string GUNs", () => {
  assert.throws(() => assertGun(""), { code: "GUN_INVALID", message: /^GUN "" is empty/ });
  assert.throws(() => assertGun(undefined as unknown as string), { code: "GUN_INVALID" });
  const f: CheckFailure[] = [];
  assertGunInput(42, "gun", f);
  assert.match(f[0]!.reason, /is required/);
});

test("the GUN of every image reference docker normalises is a valid GUN (same grammar as parseImageReference)", () => {
  for (const ref of ["alpine:3.19", "user/app", "ghcr.io/o/r@sha256:" + "0".repeat(64), "127.0.0.1:5000/team/app:v1", "UPPER/app:x"]) {
    assertGun(parseImageReference(ref).gun);
  }
});

test("request paths escape each GUN and role segment: ? # % cannot end or change the path", () => {
  const transport = () => Promise.reject(new Error("unused"));
  const plain = new NotaryServer("https://notary.example.com:4443/", "127.0.0.1:5000/team/app", transport);
  assert.equal(plain.url("targets/releases.json"), "https://notary.example.com:4443/v2/127.0.0.1:5000/team/app/_trust/tuf/targets/releases.json");
  assert.equal(new NotaryServer("http://h", "[::1]:5000/a", transport).url("root.json"), "http://h/v2/[::1]:5000/a/_trust/tuf/root.json");
  // Not valid GUNs (NotaryClient refuses them), but a NotaryServer made directly must still stay inside its path.
  const odd = new NotaryServer("http://h", "example.com/app-ü?x#y%z", transport);
  assert.equal(odd.url("timestamp.key"), "http://h/v2/example.com/app-%C3%BC%3Fx%23y%25z/_trust/tuf/timestamp.key");
  assert.equal(new URL(odd.url("root.json")).search, "");
  assert.equal(new URL(odd.url("root.json")).hash, "");
  assert.equal(new NotaryServer("http://h", "a b\u0000c", transport).url(""), "http://h/v2/a%20b%00c/_trust/tuf/");
});
