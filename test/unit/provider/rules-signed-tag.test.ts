// Every check and diff rule of the SignedTag, table-driven and offline (rules-support.ts runs the tables). Provenance
// and promotion have their own files for what their inputs hold (provenance.test.ts, promotion.test.ts); here each
// is one row of the SignedTag's check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSignedTag } from "../../../provider/src/inputs/signed-tag.ts";
import { diffSignedTag } from "../../../provider/src/runtime/signed-tag.ts";
import type { SignedTagOutputs } from "../../../provider/src/runtime/tag-state.ts";
import { runtime } from "../../../provider/src/runtime/operations.ts";
import { checkRows, diffRows, GUN, inDays, newKey, NOW, pem, PIN, UNKNOWN, type CheckRow, type DiffRow } from "./rules-support.ts";

const releases = newKey();
const DIGEST = "sha256:" + "a".repeat(64);
const OTHER = "sha256:" + "b".repeat(64);
const ok = { ...PIN, tag: "v1", digest: DIGEST, size: 10, signingKeys: [pem(releases)] };

test("SignedTag check: tag, role, manifest, keys, registry, provenance, promotion, repository pin", () => {
  const rows: CheckRow[] = [
    ["valid", {}, []],
    ["valid by image reference", { digest: undefined, size: undefined, image: "registry.example.com/team/app:v1" }, []],
    ["valid in targets, with every optional input", { role: "targets", listsOnly: true, renewBeforeDays: 30, registry: { username: "u", password: "p", insecure: true }, provenance: { revision: "abc", dirty: false } }, []],
    ["tag starting with a dot", { tag: ".v1" }, [["tag", /^"\.v1" is not a valid tag: up to 128 of \[A-Za-z0-9_.-\]/]]],
    ["tag too long", { tag: "v".repeat(129) }, [["tag", /is not a valid tag/]]],
    ["tag missing", { tag: undefined }, [["tag", /^undefined is not a valid tag/]]],
    ["role outside targets", { role: "releases" }, [["role", /^"releases" is not a valid role: .*, or "targets"$/]]],
    ["neither image nor digest", { digest: undefined, size: undefined }, [["image", /^give image \(a registry reference\) or digest and size$/]]],
    ["image not a reference", { digest: undefined, size: undefined, image: "Not A Reference!" }, [["image", /./]]],
    ["digest not sha256", { digest: "md5:" + "a".repeat(32) }, [["digest", /^must be "sha256:" followed by 64 lowercase hex digits$/]]],
    ["digest in uppercase hex", { digest: "sha256:" + "A".repeat(64) }, [["digest", /^must be "sha256:"/]]],
    ["digest without size", { size: undefined }, [["size", /^is required with digest: the manifest size in bytes$/]]],
    ["negative size", { size: -1 }, [["size", /^must be a positive whole number of bytes$/]]],
    ["fractional size", { size: 1.5 }, [["size", /^must be a positive whole number of bytes$/]]],
    ["listsOnly in text", { listsOnly: "yes" }, [["listsOnly", /^must be true or false$/]]],
    ["no signing keys", { signingKeys: [] }, [["signingKeys", /^needs at least one private key PEM$/]]],
    ["a signing key not a PEM", { signingKeys: ["garbage"] }, [["signingKeys[0]", /^signingKeys\[0\]: expected a PEM private key$/]]],
    ["registry insecure in text", { registry: { insecure: "yes" } }, [["registry.insecure", /^must be true or false$/]]],
    ["registry not an object", { registry: "registry.example.com" }, [["registry", /^must be an object \{ username\?/]]],
    ["negative renewal window", { renewBeforeDays: -1 }, [["renewBeforeDays", /^must be a number of days ≥ 0$/]]],
    ["provenance a Go tool could not re-sign", { provenance: { source: "a&b" } }, [["provenance.source", /^contains <, >, &/]]],
    ["promotion without a pinned source root", { promotedFrom: { gun: "example.com/vendor/app" } }, [["promotedFrom.rootKeyId", /^pin the source's root/]]],
    ["promotion not an object", { promotedFrom: "example.com/vendor/app" }, [["promotedFrom.gun", /^give promotedFrom as \{ gun, rootKeyId/]]],
    ["GUN with a space", { gun: "has space/x" }, [["gun", /./]]],
    ["no repository and no pin", { trustedRootSha256: undefined }, [["repository", /^pass the Repository resource/]]],
  ];
  checkRows(checkSignedTag, ok, rows);
});

test("SignedTag check in a preview: unknown values wait", () => {
  checkRows(checkSignedTag, ok, [
    ["tag and role", { tag: UNKNOWN, role: UNKNOWN }, []],
    ["an unknown digest waits for its size", { digest: UNKNOWN, size: undefined }, []],
    ["size", { size: UNKNOWN }, []],
    ["image", { digest: undefined, size: undefined, image: UNKNOWN }, []],
    ["signing keys", { signingKeys: UNKNOWN }, []],
    ["listsOnly and registry", { listsOnly: UNKNOWN, registry: UNKNOWN }, []],
    ["provenance", { provenance: UNKNOWN }, []],
    ["a promotion holding an unknown value is checked whole when known", { promotedFrom: { gun: UNKNOWN } }, []],
  ]);
});

test("SignedTag diff: gun, tag and role replace; digest, drift, provenance, renewal and a failed promotion update", () => {
  const olds: SignedTagOutputs = {
    ...ok,
    signedRole: "targets/releases",
    signedRoles: ["targets/releases"],
    signedDigest: DIGEST,
    signedSize: 10,
    mediaType: "",
    serverDigest: DIGEST,
    serverSize: 10,
    roleVersion: 2,
    roleExpires: inDays(900),
  };
  const pinned = { trustedRootSha256: undefined, rootKeyId: "r".repeat(64) };
  const rows: DiffRow[] = [
    ["the same", {}, {}, false],
    ["another GUN", { gun: `${GUN}-2` }, {}, true, ["gun"]],
    ["another tag", { tag: "v2" }, {}, true, ["tag"]],
    ["another role", { role: "targets" }, {}, true, ["role"]],
    ["unknown inputs", { digest: UNKNOWN }, {}, true],
    ["another digest", { digest: OTHER }, {}, true],
    ["drift: the server holds another digest", {}, { serverDigest: OTHER }, true],
    ["drift: the server holds another size", {}, { serverSize: 11 }, true],
    ["drift: the server holds other provenance", {}, { serverProvenance: { revision: "x" } }, true],
    ["the server already holds what is wanted, but it was not signed by this resource", { digest: OTHER }, { serverDigest: OTHER }, true],
    ["an image not resolved yet", { digest: undefined, size: undefined, image: "registry.example.com/team/app:v1" }, {}, true],
    ["the same image, resolved to what was signed", { digest: undefined, size: undefined, image: "r.example.com/app:v1", resolvedDigest: DIGEST, resolvedSize: 10 }, { digest: undefined, size: undefined, image: "r.example.com/app:v1" }, false],
    ["provenance given (the server already holds it)", { provenance: { revision: "abc" } }, { serverProvenance: { revision: "abc" } }, true],
    ["pinned by key ID: renewed inside the window", pinned, { ...pinned, roleExpires: inDays(30) }, true],
    ["in a Repository of the stack: its status renews", {}, { roleExpires: inDays(30) }, false],
    ["the promotion no longer holds while the tag is signed: revoke", { promotionHolds: false }, {}, true],
    ["the promotion no longer holds and the tag is gone", { promotionHolds: false }, { serverDigest: "", promotionHolds: false }, false],
  ];
  diffRows((o: SignedTagOutputs, n: typeof ok) => diffSignedTag(o, n, {}, NOW), olds, ok, rows);
  // The provider's diff adds one rule: a rotated signing key alone is an update (it records the key, no publish).
  const rotated = runtime.signedTag.diff({}, "id", { ...olds, roleExpires: inDays(3000) }, { ...ok, signingKeys: [pem(newKey())] });
  assert.deepEqual(rotated, { changes: true });
});
