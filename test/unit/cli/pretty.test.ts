// `inspect --pretty` prints what `docker trust inspect --pretty` printed for the same repository: the oracle is docker's
// own output, recorded in the Go fixtures (test/fixtures/go/repos/docker-signers/*-pretty.txt, docker CLI 28.2.2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { updateRepository } from "../../../sdk/src/trust/update.ts";
import { inspectTrust } from "../../../sdk/src/trust/inspect.ts";
import type { TrustInspection } from "../../../sdk/src/trust/inspect.ts";
import { formatPretty, naturalLess, tabulate } from "../../../cli/pretty.ts";
import { fakeFetcher, goText, loadServedRepo, repoJson, NOW } from "../helpers/go-fixtures.ts";

async function dockerSigners() {
  const { gun } = repoJson("docker-signers");
  const { fetch } = fakeFetcher(loadServedRepo("docker-signers"));
  return { gun, state: await updateRepository({ gun, fetch, now: NOW, anchor: { tofu: true } }) };
}

test("formatPretty equals docker trust inspect --pretty byte for byte (all tags, and NAME:v1)", async () => {
  const { gun, state } = await dockerSigners();
  assert.equal(formatPretty(inspectTrust(state, gun)), goText("repos/docker-signers/inspect-after-tags-pretty.txt"));
  assert.equal(formatPretty(inspectTrust(state, gun, "v1")), goText("repos/docker-signers/inspect-tag-v1-pretty.txt"));
});

test("formatPretty without signed tags prints docker's 'No signatures for' form (docker's output before any tag)", async () => {
  const { gun, state } = await dockerSigners();
  const view = { ...inspectTrust(state, gun), SignedTags: [] };
  assert.equal(formatPretty(view), goText("repos/docker-signers/inspect-pretty.txt"));
});

test("formatPretty sorts as docker does: tags and signers naturally, signers of a tag and key IDs bytewise", () => {
  const view: TrustInspection = {
    Name: "example.com/app",
    SignedTags: [
      { SignedTag: "v10", Digest: "c".repeat(64), Signers: ["zed", "alice"] },
      { SignedTag: "v9", Digest: "b".repeat(64), Signers: ["Repo Admin"] },
      { SignedTag: "latest-build", Digest: "a".repeat(64), Signers: ["bob"] },
    ],
    Signers: [
      { Name: "team10", Keys: [{ ID: "ffff" + "0".repeat(60) }, { ID: "0000" + "1".repeat(60) }] },
      { Name: "team9", Keys: [{ ID: "1234567890abcdef" }] },
    ],
    AdministrativeKeys: [
      { Name: "Root", Keys: [{ ID: "r2" }, { ID: "r1" }] },
      { Name: "Repository", Keys: [{ ID: "t1" }] },
    ],
  };
  const lines = formatPretty(view).split("\n");
  assert.deepEqual(lines.slice(3, 7), [
    "SIGNED TAG     DIGEST                                                             SIGNERS",
    `latest-build   ${"a".repeat(64)}   bob`,
    `v9             ${"b".repeat(64)}   (Repo Admin)`,
    `v10            ${"c".repeat(64)}   alice, zed`,
  ]);
  assert.deepEqual(lines.slice(10, 13), ["SIGNER    KEYS", "team9     1234567890ab", "team10    000011111111, ffff00000000"]);
  assert.deepEqual(lines.slice(-3), ["  Repository Key:\tt1", "  Root Key:\tr1, r2", ""]);
});

test("naturalLess is fvbommel/sortorder's NaturalLess (docker sorts with it)", () => {
  // [a, b, a < b, b < a]
  const cases: [string, string, boolean, boolean][] = [
    ["abc2", "abc12", true, false],
    ["2", "02", true, false], // fewer leading zeros first
    ["01", "001", true, false],
    ["1", "a", true, false], // digits before other bytes
    ["B", "a", true, false], // bytewise, not case-folded
    ["a", "a1", true, false], // a prefix sorts first
    ["v1.10", "v1.9", false, true],
    ["x", "x", false, false],
    ["é", "z", false, true], // UTF-8 bytes: 0xc3 > 'z'
  ];
  for (const [a, b, ab, ba] of cases) {
    assert.equal(naturalLess(a, b), ab, `${a} < ${b}`);
    assert.equal(naturalLess(b, a), ba, `${b} < ${a}`);
  }
});

test("tabulate is docker's tabwriter: minwidth 10, padding 3, last column unpadded", () => {
  assert.equal(tabulate([["A", "B", "C"], ["12345678", "x", "y"]]), "A          B         C\n12345678   x         y\n");
  assert.equal(tabulate([["ONLY"]]), "ONLY\n");
});
