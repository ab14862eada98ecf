// `pulumi-notary verify NAME:TAG` against a repository a publisher made with the Go tools, as one would
// (publisher-helpers.ts): docker adds the signers alice and bob (`docker trust signer add`, which initializes the
// repository), the notary CLI signs v1 as alice (targets/releases + targets/alice) and v2 as bob. verify prints
// `NAME@sha256:…` (exit 0) only when the tag is signed as required, and otherwise the reason on stderr with exit 1;
// docker trust inspect is the oracle for the digests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { before, describe, test } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import { dockerOk, dockerTrustInspect, hasDocker } from "../support/stack.ts";
import { startPublisher } from "./publisher-helpers.ts";
import { verifyImage } from "../../sdk/src/index.ts";

const CLI = path.resolve(import.meta.dirname, "../../dist/cli/main.js");

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("verify NAME:TAG", { skip: hasDocker() ? false : "no docker client installed" }, () => {
  const server = notaryServerPerFile({ tls: true });
  let gun: string;
  let configDir: string;
  let rootId: string;
  let keyOf: Record<string, string>;
  const v1 = "1".repeat(64);
  const v2 = "2".repeat(64);
  const remote = () => ["--server", server.url, "--ca", server.caFile!, "--root-key-id", rootId];
  const verify = (ref: string, ...args: string[]) => cli(["verify", ref, ...remote(), ...args]);

  before(async () => {
    const pub = await startPublisher(server, `${server.host}/publisher/app`, ["alice", "bob"]);
    await pub.sign("v1", v1, 321, "alice");
    await pub.sign("v2", v2, 322, "bob");
    ({ gun, configDir, rootKeyId: rootId, keyOf } = pub);
    const [info] = await dockerTrustInspect(gun, { configDir, server });
    assert.deepEqual(
      info!.SignedTags.map((t) => [t.SignedTag, t.Digest, t.Signers]),
      [["v1", v1, ["alice"]], ["v2", v2, ["bob"]]],
      "the oracle: docker shows v1 signed by alice and v2 by bob",
    );
  });

  test("a tag signed as required: NAME@sha256:… on stdout, exit 0", () => {
    for (const args of [[], ["--signer", "alice"], ["--signer", "targets/alice"], ["--key-id", keyOf["alice"]!], ["--signer", "alice", "--signer", "bob"], ["--digest", `sha256:${v1}`]]) {
      const r = verify(`${gun}:v1`, ...args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, `${gun}@sha256:${v1}\n`);
      assert.equal(r.stderr, "");
    }
    const bob = verify(`${gun}:v2`, "--signer", "bob", "--signer", "releases", "--threshold", "2");
    assert.equal(bob.code, 0, bob.stderr);
    assert.equal(bob.stdout, `${gun}@sha256:${v2}\n`);
  });

  test("not signed as required: exit 1 and one line saying what was required, what each role signs and what to do", () => {
    const wrongSigner = verify(`${gun}:v2`, "--signer", "alice");
    assert.equal(wrongSigner.code, 1);
    assert.equal(wrongSigner.stdout, "");
    assert.match(
      wrongSigner.stderr,
      new RegExp(
        `^pulumi-notary: VERIFICATION_FAILED: ${gun.replace(/\./g, "\\.")}:v2 is not signed as required: required 1 of \\[alice \\(targets/alice\\)\\] ` +
          `to sign sha256:${v2} for v2 \\(none does\\); found: .*targets/alice does not sign v2.*targets/releases signs sha256:${v2}.*targets/bob signs sha256:${v2}.*` +
          `Have the required signers sign it .*\\n$`,
      ),
    );
    const both = verify(`${gun}:v1`, "--signer", "alice", "--signer", "bob", "--threshold", "2");
    assert.equal(both.code, 1);
    assert.match(both.stderr, /required 2 of \[alice \(targets\/alice\), bob \(targets\/bob\)\] .*\(only alice does\).*targets\/bob does not sign v1/);
    const digest = verify(`${gun}:v1`, "--digest", `sha256:${v2}`);
    assert.equal(digest.code, 1);
    assert.match(digest.stderr, new RegExp(`targets/releases signs sha256:${v1}, another digest`));
    const unsigned = verify(`${gun}:v3`);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /^pulumi-notary: VERIFICATION_FAILED: v3 is not signed in any valid role of /);
    const wrongRoot = cli(["verify", `${gun}:v1`, ...remote().slice(0, 4), "--root-key-id", "0".repeat(64)]);
    assert.equal(wrongRoot.code, 1);
    assert.match(wrongRoot.stderr, /^pulumi-notary: TRUST_ROOT_MISMATCH: /);
  });

  test("the SDK's verifyImage makes the same check: the reference, who signed, or the coded reason", async () => {
    const opts = { url: server.url, tls: { ca: server.caPem! }, anchor: { rootKeyIds: [rootId] } };
    const ok = await verifyImage({ ...opts, image: `${gun}:v1`, policy: { signers: ["alice"] } });
    assert.deepEqual(
      { reference: ok.reference, digest: ok.digest, size: ok.size, signedBy: ok.signedBy, roles: ok.roles },
      { reference: `${gun}@sha256:${v1}`, digest: `sha256:${v1}`, size: 321, signedBy: ["alice"], roles: ["targets/alice", "targets/releases"] },
    );
    await assert.rejects(verifyImage({ ...opts, image: `${gun}:v2`, policy: { signers: ["alice"] } }), { code: "VERIFICATION_FAILED" });
    await assert.rejects(verifyImage({ ...opts, image: `${gun}:v1@sha256:${v2}` }), { code: "VERIFICATION_FAILED", message: /another digest/ });
    await assert.rejects(verifyImage({ ...opts, image: gun }), { code: "INPUT_INVALID", message: /give the tag to verify/ });
    await assert.rejects(verifyImage({ ...opts, image: `${gun}:v1`, anchor: { tofu: true } }), { code: "TRUST_NO_ANCHOR" });
  });

  test("bad usage: no pinned root, no tag, --tofu, a bad threshold or signer name: exit 2", () => {
    const cases: [string[], RegExp][] = [
      [["verify", `${gun}:v1`, "--server", server.url], /verify: pin the root with --root-key-id/],
      [["verify", gun, "--root-key-id", "ab"], /verify: give the tag to verify, NAME:TAG/],
      [["verify", `${gun}:v1`, "--tofu"], /verify: unknown option --tofu/],
      [["verify", `${gun}:v1`, "--root-key-id", "ab", "--threshold", "0"], /--threshold "0": give a whole number ≥ 1/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const badSigner = verify(`${gun}:v1`, "--signer", "Alice");
    assert.equal(badSigner.code, 1);
    assert.match(badSigner.stderr, /^pulumi-notary: INPUT_INVALID: signers: "Alice" is neither a docker signer name/);
  });

  test("after the publisher revokes v1 (docker trust revoke), verify fails where it passed: the CI gate closes", async () => {
    assert.equal(verify(`${gun}:v1`, "--signer", "alice").code, 0);
    await dockerOk(["trust", "revoke", "-y", `${gun}:v1`], { configDir, server });
    const r = verify(`${gun}:v1`, "--signer", "alice");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERIFICATION_FAILED: v1 is not signed in any valid role of .*targets\/alice does not sign v1/);
    assert.equal(verify(`${gun}:v2`, "--signer", "bob").code, 0, "the other tag still verifies");
  });
});
