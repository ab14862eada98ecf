/**
 * Canonical JSON and wire bytes against what notary 0.7 (Go) signed and served. The oracle is always Go output:
 * the canonical bytes in signatures.json (recomputed by vectors.py and checked with openssl), the served files, and the
 * observations in canonical-json.json. Reference §1.2–§1.5.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalBytes, canonicalJson, compareCodePoints, htmlEscape, wireBytes } from "../../../sdk/src/canonical-json.ts";
import type { WireSignature } from "../../../sdk/src/canonical-json.ts";
import { GO_DIR, REPO_NAMES, goBytes, goJson, servedFiles, signaturesJson, utf8Text } from "../helpers/go-fixtures.ts";

const PRE_ROTATION = "repos/notary-rotated/pre-rotation-trust/tuf/example.com/vectors/notary-rotated/metadata/root.json";
const hex = (b: Uint8Array | string): string => Buffer.from(b).toString("hex");
const UNSUPPORTED = { code: "CANONICAL_JSON_UNSUPPORTED" };

/** Every envelope file the Go servers served (plus the byte-identical pre-rotation cache copy). */
const FILES = [...REPO_NAMES.flatMap((n) => [...servedFiles(n).values()]), PRE_ROTATION].sort();

/** file → canonical bytes Go signed (every signature of a file must agree). */
const GO_CANONICAL = new Map<string, string>();
for (const s of signaturesJson().signatures) {
  for (const f of s.files) {
    const prev = GO_CANONICAL.get(f);
    assert.ok(prev === undefined || prev === s.signed_canonical_b64, `${f}: its signatures cover different bytes`);
    GO_CANONICAL.set(f, s.signed_canonical_b64);
  }
}

type CanonicalFixture = {
  wire_vs_canonical_names: {
    name: string;
    name_utf8_hex: string;
    canonical_token: string;
    canonical_token_hex: string;
    wire_token: string;
    wire_token_hex: string;
    wire_differs_from_canonical: boolean;
    target_canonical: string;
  }[];
  key_order: { as_on_wire: string[]; utf8_byte_order: string[]; utf16_code_unit_order: string[] };
  lengths_on_wire: string[];
  custom_on_wire: string[];
  whole_file: { wire_signed_equals_html_escape_of_canonical: boolean; trailing_newline: boolean; wire_prefix: string };
  rejected_and_boundary_cases: {
    case: string;
    exit_code: number;
    custom_file_bytes?: string;
    rejected_upload_target_entry_as_sent_by_go?: string;
    accepted_wire_snippet?: string;
  }[];
};
const CJ = goJson<CanonicalFixture>("canonical-json.json");
const caseOf = (id: string) => {
  const c = CJ.rejected_and_boundary_cases.find((x) => x.case.startsWith(id));
  assert.ok(c, `canonical-json.json has case ${id}`);
  return c;
};

test("fixture coverage: every served envelope has Go canonical bytes", () => {
  assert.equal(FILES.length, 36);
  for (const f of FILES) assert.ok(GO_CANONICAL.has(f), `${f} has a signature vector`);
  assert.ok(GO_DIR.href.endsWith("/fixtures/go/"));
});

for (const file of FILES) {
  test(`${file}: canonical bytes equal what Go signed, and re-serializing gives the served bytes`, () => {
    const served = goBytes(file);
    const env = JSON.parse(utf8Text(served)) as { signed: unknown; signatures: WireSignature[] };
    const goCanonical = Buffer.from(GO_CANONICAL.get(file)!, "base64");

    const verifyBytes = canonicalBytes(env.signed, { mode: "verify" });
    assert.equal(hex(verifyBytes), hex(goCanonical));

    const canonical = canonicalJson(env.signed, { mode: "verify" });
    assert.equal(hex(wireBytes(canonical, env.signatures)), hex(served));

    // Produce mode is what we sign: every Go file except the one holding the 2^53 boundary length is producible.
    if (file === "repos/notary-rejects/targets.json") {
      assert.throws(() => canonicalJson(env.signed), UNSUPPORTED);
    } else {
      assert.equal(hex(canonicalBytes(env.signed)), hex(goCanonical));
    }
  });
}

test("served files: no trailing newline, `signed` first, wire `signed` = htmlEscape(canonical)", () => {
  assert.equal(CJ.whole_file.trailing_newline, false);
  assert.equal(CJ.whole_file.wire_signed_equals_html_escape_of_canonical, true);
  const basic = utf8Text(goBytes("repos/notary-basic/targets.json"));
  assert.ok(basic.startsWith(CJ.whole_file.wire_prefix));
  for (const f of FILES) {
    const b = goBytes(f);
    assert.equal(b[b.length - 1], 0x7d, `${f} ends in }`);
  }
});

test("target names: canonical token raw, wire token escaped (<>&, U+2028/2029), exactly as Go", () => {
  const targets = JSON.parse(utf8Text(goBytes("repos/notary-basic/targets.json"))) as { signed: { targets: Record<string, unknown> } };
  const canonical = canonicalJson(targets.signed.targets, { mode: "verify" });
  assert.ok(CJ.wire_vs_canonical_names.length >= 10);
  for (const n of CJ.wire_vs_canonical_names) {
    assert.equal(hex(n.name), n.name_utf8_hex, `${n.name}: UTF-8 bytes`);
    const token = canonicalJson(n.name);
    assert.equal(token, n.canonical_token);
    assert.equal(hex(token), n.canonical_token_hex);
    assert.equal(htmlEscape(token), n.wire_token);
    assert.equal(hex(htmlEscape(token)), n.wire_token_hex);
    assert.equal(htmlEscape(token) !== token, n.wire_differs_from_canonical);
    assert.ok(canonical.includes(`${token}:${n.target_canonical}`), `${n.name}: entry in canonical targets`);
    assert.equal(canonicalJson(targets.signed.targets[n.name]), n.target_canonical);
  }
});

test("htmlEscape: exactly <, >, &, U+2028, U+2029 (table)", () => {
  const cases: [string, string][] = [
    ["<", "\\u003c"],
    [">", "\\u003e"],
    ["&", "\\u0026"],
    ["\u2028", "\\u2028"],
    ["\u2029", "\\u2029"],
    ["\u00fc\u20ac\u{1F600}", "\u00fc\u20ac\u{1F600}"],
    ['\\"', '\\"'],
    ["'", "'"],
    ["\u007f", "\u007f"],
  ];
  for (const [input, out] of cases) assert.equal(htmlEscape(input), out, JSON.stringify(input));
});

test("key order is UTF-8 byte order (astral after U+E000..U+FFFF), not UTF-16", () => {
  const { as_on_wire, utf8_byte_order, utf16_code_unit_order } = CJ.key_order;
  assert.deepEqual(as_on_wire, utf8_byte_order);
  assert.notDeepEqual(utf8_byte_order, utf16_code_unit_order);
  assert.deepEqual([...utf16_code_unit_order].sort(compareCodePoints), utf8_byte_order);
  assert.deepEqual([...utf8_byte_order].sort(), utf16_code_unit_order); // sanity: JS default sort is UTF-16
  const obj = Object.fromEntries(utf16_code_unit_order.map((k) => [k, 1]));
  const keys = Object.keys(JSON.parse(canonicalJson(obj)) as object);
  assert.deepEqual(keys, utf8_byte_order);
  // and by raw bytes, the order Go's sort.Strings uses
  const byBytes = [...utf8_byte_order].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(byBytes, utf8_byte_order);
});

test("compareCodePoints agrees with UTF-8 byte comparison (table)", () => {
  const pairs: [string, string][] = [
    ["order-\u{1F600}", "order-\uE000"],
    ["order-\u{1F600}", "order-\uFF21"],
    ["\u{10000}", "\uFFFF"],
    ["\uD7FF", "\uE000"],
    ["a", "ab"],
    ["", "a"],
    ["z", "\u00e9"],
    ["\u{1F600}", "\u{1F601}"],
    ["\u{1F600}x", "\u{1F600}"],
    ["same", "same"],
  ];
  for (const [a, b] of pairs) {
    const sign = (n: number) => (n > 0 ? 1 : n < 0 ? -1 : 0);
    const want = sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.equal(sign(compareCodePoints(a, b)), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(sign(compareCodePoints(b, a)), -want || 0);
  }
});

test("integers are written plainly, as on Go's wire", () => {
  assert.deepEqual(CJ.lengths_on_wire, ["5", "23", "1000000", "123456789", "9007199254740991"]);
  for (const s of CJ.lengths_on_wire) {
    assert.equal(canonicalJson(Number(s)), s);
    assert.equal(canonicalJson({ length: JSON.parse(s) as number }), `{"length":${s}}`);
  }
  const table: [number, string][] = [
    [0, "0"],
    [-1, "-1"],
    [1e6, "1000000"],
    [1e18, "1000000000000000000"],
    [2 ** 53 - 1, "9007199254740991"],
    [-(2 ** 53 - 1), "-9007199254740991"],
  ];
  for (const [n, s] of table) {
    if (Number.isSafeInteger(n)) assert.equal(canonicalJson(n), s);
    assert.equal(canonicalJson(n, { mode: "verify" }), s);
  }
});

test("2^53 boundary: Go accepted 2^53 (verify mode reproduces it); 2^53+1 is refused in produce mode", () => {
  const accepted = caseOf("04");
  assert.equal(accepted.exit_code, 0);
  const entry = JSON.parse(`{${accepted.accepted_wire_snippet!}}`) as Record<string, unknown>;
  assert.equal(canonicalJson(entry, { mode: "verify" }), `{${accepted.accepted_wire_snippet!}}`);
  assert.throws(() => canonicalJson(entry), UNSUPPORTED); // 2^53 in JS may have been 2^53+1: never produce it

  const rejected = caseOf("03");
  assert.equal(rejected.exit_code, 1);
  const sent = rejected.rejected_upload_target_entry_as_sent_by_go!;
  assert.ok(sent.endsWith('"length":9007199254740993}'));
  const parsed = JSON.parse(`{${sent}}`) as Record<string, unknown>;
  assert.throws(() => canonicalJson(parsed), UNSUPPORTED);
  // Verify mode re-encodes the float64 like Go's verifier: …992, not the …993 Go signed, hence the server's rejection.
  const reencoded = canonicalJson(parsed, { mode: "verify" });
  assert.ok(reencoded.endsWith('"length":9007199254740992}}'));
  assert.notEqual(reencoded, `{${sent}}`);
  assert.throws(() => canonicalJson(2 ** 63, { mode: "verify" }), UNSUPPORTED);
});

test("floats, NaN and Infinity are rejected in both modes (Go: json: unsupported value: 1.5)", () => {
  const c = caseOf("05");
  assert.equal(c.exit_code, 1);
  const custom = JSON.parse(c.custom_file_bytes!) as unknown;
  for (const mode of ["produce", "verify"] as const) {
    assert.throws(() => canonicalJson(custom, { mode }), UNSUPPORTED);
    assert.throws(() => canonicalJson(JSON.parse(`{${c.rejected_upload_target_entry_as_sent_by_go!}}`), { mode }), UNSUPPORTED);
    for (const v of [1.5, -0.5, Number.NaN, Infinity, -Infinity, { a: [1, 2.25] }]) {
      assert.throws(() => canonicalJson(v, { mode }), UNSUPPORTED, `${String(v)} in ${mode} mode`);
    }
  }
});

test("control characters: rejected in produce mode (Go's client refused TAB and LF), raw in verify mode", () => {
  for (const [id, name] of [
    ["01", "tab\there"],
    ["02", "nl\nhere"],
  ] as const) {
    assert.equal(caseOf(id).exit_code, 1);
    assert.throws(() => canonicalJson({ [name]: { length: 5 } }), UNSUPPORTED);
    assert.throws(() => canonicalJson(name), UNSUPPORTED);
  }
  for (let c = 0; c < 0x20; c++) {
    const s = `x${String.fromCharCode(c)}y`;
    assert.throws(() => canonicalJson(s), UNSUPPORTED, `U+${c.toString(16)}`);
    // Go's canonical encoder copies every byte except " and \ raw.
    assert.equal(canonicalJson(s, { mode: "verify" }), `"${s}"`);
  }
  assert.equal(canonicalJson("\u007f\u0080"), '"\u007f\u0080"');
});

test("lone surrogates are rejected in produce mode; verify mode writes U+FFFD as Go's decoder does", () => {
  for (const s of ["\uD800", "a\uDC00b", "x\uD83D", "\uDE00\uD83D", "\uD83D\uD83D\uDE00"]) {
    assert.throws(() => canonicalJson(s), UNSUPPORTED, JSON.stringify(s));
    assert.throws(() => canonicalJson({ [s]: 1 }), UNSUPPORTED, `key ${JSON.stringify(s)}`);
    assert.ok(hex(canonicalBytes(s, { mode: "verify" })).includes("efbfbd"));
  }
  assert.equal(canonicalJson("\uD83D\uDE00"), '"\u{1F600}"');
});

test("custom: sorted, whitespace-free canonical form is what Go stored; Go's own unsorted/HTML uploads differ", () => {
  assert.deepEqual(CJ.custom_on_wire, ['{"a":"x","b":1}']);
  const ws = caseOf("08");
  assert.equal(ws.exit_code, 0);
  assert.equal(canonicalJson(JSON.parse(ws.custom_file_bytes!)), CJ.custom_on_wire[0]);
  assert.ok(ws.accepted_wire_snippet!.endsWith(`"custom":${canonicalJson(JSON.parse(ws.custom_file_bytes!))}`));

  // 06: Go signed the unsorted RawMessage while its verifier sorts: canonical ≠ what Go sent.
  const unsorted = caseOf("06");
  const sent06 = unsorted.rejected_upload_target_entry_as_sent_by_go!;
  assert.notEqual(htmlEscape(canonicalJson(JSON.parse(`{${sent06}}`))), `{${sent06}}`);
  // 07: the wire form of our canonical bytes is exactly what Go sent; only Go's signature (over the escaped form) was wrong.
  const html = caseOf("07");
  const sent07 = html.rejected_upload_target_entry_as_sent_by_go!;
  const canonical07 = canonicalJson(JSON.parse(`{${sent07}}`));
  assert.ok(canonical07.includes('"custom":{"a":"<b>"}'));
  assert.equal(htmlEscape(canonical07), `{${sent07}}`);
});

test("wireBytes layout: signed, then signatures with keyid, method, sig; [] when unsigned", () => {
  assert.equal(
    utf8Text(wireBytes('{"a":"<&>"}', [{ keyid: "ab", method: "ecdsa", sig: "c2ln" }])),
    '{"signed":{"a":"\\u003c\\u0026\\u003e"},"signatures":[{"keyid":"ab","method":"ecdsa","sig":"c2ln"}]}',
  );
  assert.equal(utf8Text(wireBytes("{}", [])), '{"signed":{},"signatures":[]}');
});

test("undefined members are omitted, nested arrays and null kept, raw bytes refused", () => {
  assert.equal(canonicalJson({ b: undefined, a: [null, true, false, "s"], c: {} }), '{"a":[null,true,false,"s"],"c":{}}');
  assert.throws(() => canonicalJson({ a: new Uint8Array(1) }), UNSUPPORTED);
  assert.throws(() => canonicalJson({ a: 1n }), UNSUPPORTED);
  assert.throws(() => canonicalJson({ a: () => 1 }), UNSUPPORTED);
});
