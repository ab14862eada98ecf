// The engine stand-in's Struct codec against google-protobuf's own Struct (the classes @pulumi/pulumi ships): what we
// encode, google-protobuf decodes to the same values; what google-protobuf encodes, we decode to the same values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { structField, splitStructFields } from "../../support/struct-codec.ts";

const pulumiRequire = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/package.json"));
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const provproto = pulumiRequire("./proto/provider_pb");

const samples: Record<string, unknown>[] = [
  {},
  { a: null, b: 0, c: -1.5, d: 2 ** 53, e: "", f: "é ✓ 𝄞", g: true, h: false },
  { list: [1, "x", null, [], {}, [[true]], { k: [{ deep: "v" }] }], nested: { a: { b: { c: "d" } } } },
  { big: "x".repeat(200_000), many: Object.fromEntries([...Array(300).keys()].map((i) => [`k${i}`, i])) },
  { nonFinite: Infinity, nan: NaN, negZero: -0 },
];

const viaProtobuf = (o: Record<string, unknown>) => structproto.Struct.fromJavaScript(o);

test("our Struct bytes decode with google-protobuf to the same values, inside a real request message", () => {
  for (const sample of samples) {
    const req = new provproto.CheckRequest();
    req.setUrn("urn:pulumi:dev::p::t::n");
    const bytes = Buffer.concat([Buffer.from(req.serializeBinary()), structField(3, sample)]);
    const back = provproto.CheckRequest.deserializeBinary(new Uint8Array(bytes));
    assert.equal(back.getUrn(), "urn:pulumi:dev::p::t::n");
    assert.deepEqual(back.getNews().toJavaScript(), sample);
  }
});

test("google-protobuf's Struct bytes decode with ours to the same values; other fields are kept for the message class", () => {
  for (const sample of samples) {
    const resp = new provproto.CreateResponse();
    resp.setId("the-id");
    resp.setProperties(viaProtobuf(sample));
    const { rest, structs } = splitStructFields(resp.serializeBinary(), [2]);
    assert.deepEqual(structs.get(2), sample);
    const restMsg = provproto.CreateResponse.deserializeBinary(new Uint8Array(rest));
    assert.equal(restMsg.getId(), "the-id");
    assert.equal(restMsg.getProperties(), undefined, "the Struct field was taken out");
  }
});

test("an absent Struct field is absent; an empty one is present and empty", () => {
  const resp = new provproto.ReadResponse();
  resp.setId("x");
  resp.setInputs(viaProtobuf({}));
  const { structs } = splitStructFields(resp.serializeBinary(), [2, 3]);
  assert.equal(structs.has(2), false);
  assert.deepEqual(structs.get(3), {});
});
