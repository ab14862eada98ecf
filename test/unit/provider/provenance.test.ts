// A SignedTag's provenance as notary `custom` data, offline: the exact canonical bytes signed, reading them back
// (other tools' data kept apart), the image's annotations and labels, the input checks that keep the Go tools able to
// re-sign the role, and the diff: a change of provenance, or drift in what the server holds, is an update.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  customOf,
  mergeProvenance,
  provenanceFromImage,
  provenanceOfCustom,
  sameProvenance,
  wantedProvenance,
  withProvenance,
} from "../../../provider/src/runtime/provenance.ts";
import { diffSignedTag } from "../../../provider/src/runtime/signed-tag.ts";
import type { SignedTagOutputs } from "../../../provider/src/runtime/tag-state.ts";
import { checkSignedTag, type SignedTagInputs } from "../../../provider/src/inputs/signed-tag.ts";
import { provenance } from "../../../provider/src/inputs/provenance.ts";
import { failuresOf } from "../../../provider/src/inputs/failures.ts";
import { UNKNOWN } from "../../../provider/src/inputs/unknown.ts";
import { canonicalJson, wireBytes } from "../../../sdk/src/canonical-json.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { formatGoTime } from "../../../sdk/src/metadata/time.ts";

const REV = "0123456789abcdef0123456789abcdef01234567";
const FULL = { source: "https://github.com/team/app", revision: REV, dirty: false, dockerfile: "docker/Dockerfile" };

test("the custom data: the image labels' own names, canonical (sorted keys, no whitespace), only the fields known", () => {
  assert.equal(
    canonicalJson(customOf(FULL)),
    '{"com.docker.image.source.entrypoint":"docker/Dockerfile","dev.pulumi-notary.dirty":false,' +
      `"org.opencontainers.image.revision":"${REV}","org.opencontainers.image.source":"https://github.com/team/app"}`,
  );
  assert.deepEqual(customOf({ revision: REV }), { "org.opencontainers.image.revision": REV });
  assert.equal(customOf({}), undefined, "no field: no custom at all, as docker writes a target");
  const meta = { length: 10, hashes: { sha256: "q".repeat(43) + "=" } };
  assert.equal(withProvenance(meta, {}), meta);
  assert.deepEqual(withProvenance(meta, { dirty: true }), { ...meta, custom: { "dev.pulumi-notary.dirty": true } });
  // The wire form the server stores is the canonical form (nothing here needs Go's HTML escaping).
  const signed = canonicalJson({ custom: customOf(FULL) });
  assert.equal(new TextDecoder().decode(wireBytes(signed, [])), `{"signed":${signed},"signatures":[]}`);
});

test("read back: our fields, and anything else in the custom data kept apart as canonical JSON", () => {
  assert.deepEqual(provenanceOfCustom(customOf(FULL)), FULL);
  assert.deepEqual(provenanceOfCustom(undefined), {});
  assert.deepEqual(provenanceOfCustom({ "org.opencontainers.image.revision": REV, z: 1, "dev.pulumi-notary.dirty": "yes" }), {
    revision: REV,
    otherCustom: '{"dev.pulumi-notary.dirty":"yes","z":1}',
  });
  assert.deepEqual(provenanceOfCustom(["a"]), { otherCustom: '["a"]' });
  assert.equal(sameProvenance(provenanceOfCustom({ x: 1 }), {}), false, "someone else's custom data is a difference");
  assert.equal(sameProvenance(undefined, {}), true, "a state from before provenance holds none");
  assert.equal(sameProvenance({ revision: REV, dirty: false }, { dirty: false, revision: REV }), true);
  assert.equal(sameProvenance({ dirty: false }, {}), false, "dirty: false is said, not the same as nothing");
});

test("each field given wins over the image's; dirty: false given over the image's -dirty", () => {
  assert.deepEqual(mergeProvenance({ revision: "abc", dirty: false }, { source: "s", revision: "def", dirty: true }), { source: "s", revision: "abc", dirty: false });
  assert.deepEqual(mergeProvenance(undefined, undefined), {});
  assert.deepEqual(mergeProvenance({ source: null as never }, { source: "s" }), { source: "s" }, "null is not given");
});

test("from the image: annotations over config labels; buildx's -dirty revision; values the Go tools cannot re-sign skipped", () => {
  const labels = {
    "org.opencontainers.image.source": "https://label.example/app",
    "org.opencontainers.image.revision": `${REV}-dirty`,
    "com.docker.image.source.entrypoint": "Dockerfile",
  };
  assert.deepEqual(provenanceFromImage({}, labels).provenance, { source: "https://label.example/app", revision: REV, dirty: true, dockerfile: "Dockerfile" });
  const annotated = provenanceFromImage({ "org.opencontainers.image.source": "https://annotation.example/app" }, labels);
  assert.equal(annotated.provenance.source, "https://annotation.example/app");
  const bad = provenanceFromImage({ "org.opencontainers.image.source": "https://x/?a=1&b=2", "org.opencontainers.image.revision": "a\tb" }, {});
  assert.deepEqual(bad.provenance, {});
  assert.equal(bad.skipped.length, 2);
  assert.match(bad.skipped[0]!, /^org\.opencontainers\.image\.source contains <, >, &/);
  assert.match(bad.skipped[1]!, /control character/);
  assert.deepEqual(provenanceFromImage({ "org.example.other": "x" }, {}), { provenance: {}, skipped: [] });
});

test("input checks: types, field names, and no value the Go tools could not re-sign; unknown values wait", () => {
  // As the check names them (the schema checks the field itself, so its properties are prefixed here).
  const failures = (p: unknown) => failuresOf(provenance, p).map((x) => `provenance${x.property ? "." + x.property : ""}: ${x.reason}`);
  assert.deepEqual(failures(FULL), []);
  assert.deepEqual(failures(undefined), []);
  assert.deepEqual(failures(UNKNOWN), []);
  assert.deepEqual(failures({ revision: UNKNOWN, dirty: UNKNOWN }), []);
  assert.deepEqual(failures("abc"), ["provenance: must be an object { source?, revision?, dirty?, dockerfile? }"]);
  const f = failures({ dirty: "yes", commit: "abc", source: 5, revision: "", dockerfile: "a<b" }).sort();
  assert.equal(f.length, 5);
  assert.match(f[0]!, /^provenance\.commit: is not a provenance field/);
  assert.match(f[1]!, /^provenance\.dirty: must be true or false/);
  assert.match(f[2]!, /^provenance\.dockerfile: contains <, >, & .*no Go tool could sign in this role again/);
  assert.match(f[3]!, /^provenance\.revision: is empty/);
  assert.match(f[4]!, /^provenance\.source: must be a string/);
  assert.match(failures({ source: "x".repeat(1025) })[0]!, /longer than 1024/);
  assert.match(failures({ source: "\ud800" })[0]!, /lone surrogate/);
  assert.deepEqual(failures({ source: "ü😀 é" }), [], "non-ASCII is fine");
});

// ---------------------------------------------------------------------------------------------------------------------
// The diff

const targets = PrivateKey.generate().exportPkcs8Pem();
const DIGEST = "sha256:" + "a".repeat(64);
const OTHER = "sha256:" + "b".repeat(64);
const IMAGE = "127.0.0.1:5000/team/app";
const NOW = new Date("2026-11-22T00:00:00Z");
const inTwoYears = formatGoTime(new Date(NOW.getTime() + 730 * 86_400_000));

function olds(extra: Partial<SignedTagOutputs> = {}): SignedTagOutputs {
  return {
    gun: IMAGE,
    trustedRootSha256: "e".repeat(64),
    tag: "v1",
    signingKeys: [targets],
    signedRole: "targets",
    signedRoles: ["targets"],
    signedDigest: DIGEST,
    signedSize: 10,
    mediaType: "",
    serverDigest: DIGEST,
    serverSize: 10,
    roleVersion: 3,
    roleExpires: inTwoYears,
    ...extra,
  };
}
const news = (extra: Partial<SignedTagInputs>): SignedTagInputs => ({ gun: IMAGE, trustedRootSha256: "e".repeat(64), tag: "v1", signingKeys: [targets], ...extra });
const diff = (o: SignedTagOutputs, n: SignedTagInputs) => diffSignedTag(o, n, {}, NOW).changes;

test("diff, digest given: a state from before provenance is unchanged; a provenance change or drift is an update", () => {
  const base = { digest: DIGEST, size: 10 };
  assert.equal(diff(olds(base), news(base)), false, "no provenance anywhere: nothing to do");
  assert.equal(diff(olds(base), news({ ...base, provenance: { revision: REV } })), true, "provenance added");
  const signed = { ...base, provenance: { revision: REV }, signedProvenance: { revision: REV }, serverProvenance: { revision: REV } };
  assert.equal(diff(olds(signed), news({ ...base, provenance: { revision: REV } })), false);
  assert.equal(diff(olds(signed), news({ ...base, provenance: { revision: "f".repeat(40) } })), true, "another commit");
  assert.equal(diff(olds(signed), news({ ...base, provenance: { revision: REV, dirty: true } })), true, "now dirty");
  assert.equal(diff(olds({ ...signed, serverProvenance: { revision: "f".repeat(40) } }), news({ ...base, provenance: { revision: REV } })), true, "drift");
  assert.equal(diff(olds({ ...signed, serverProvenance: {} }), news({ ...base, provenance: { revision: REV } })), true, "custom data dropped out of band");
  assert.equal(diff(olds({ ...signed, serverProvenance: { revision: REV, otherCustom: '{"x":1}' } }), news({ ...base, provenance: { revision: REV } })), true, "data added");
  assert.equal(diff(olds(signed), news({ ...base, provenance: { revision: UNKNOWN } })), true, "unknown: an update, as any unknown input");
});

test("diff, image pinned by digest: the image's provenance is the one read for that manifest, without a request", () => {
  const image = `${IMAGE}@${DIGEST}`;
  const fromImage = { source: "https://github.com/team/app", revision: REV };
  const o = olds({ image, imageProvenance: fromImage, signedProvenance: fromImage, serverProvenance: fromImage });
  assert.equal(diff(o, news({ image })), false);
  assert.equal(diff(o, news({ image, provenance: { dirty: true } })), true, "an input added over the image's");
  assert.equal(diff(o, news({ image, provenance: { revision: REV } })), false, "an input equal to the image's");
  assert.equal(diff(o, news({ image: `${IMAGE}@${OTHER}` })), true, "another manifest: read it");
  assert.equal(wantedProvenance(news({ image: `${IMAGE}@${OTHER}` }), o, OTHER), undefined);
  assert.deepEqual(wantedProvenance(news({ image, provenance: { dirty: true } }), o, DIGEST), { ...fromImage, dirty: true });
});

test("diff, floating image: what check read from the registry now is what is wanted", () => {
  const image = `${IMAGE}:v1`;
  const fromImage = { revision: REV };
  const o = olds({ image, imageProvenance: fromImage, signedProvenance: fromImage, serverProvenance: fromImage });
  const resolved = { image, resolvedDigest: DIGEST, resolvedSize: 10 };
  assert.equal(diff(o, news({ ...resolved, imageProvenance: fromImage })), false);
  assert.equal(diff(o, news({ ...resolved, imageProvenance: { revision: "f".repeat(40) } })), true, "the image was rebuilt with other labels");
  assert.equal(diff(o, news({ ...resolved, imageProvenance: { revision: "f".repeat(40) }, provenance: { revision: REV } })), false, "the input wins");
});

test("checkSignedTag reports provenance failures with the other inputs", () => {
  const f = checkSignedTag(news({ digest: DIGEST, size: 10, provenance: { source: "a&b" } }));
  assert.deepEqual(f.map((x) => x.property), ["provenance.source"]);
});
