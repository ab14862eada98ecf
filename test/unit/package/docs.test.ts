// What users read when something goes wrong: every stack config key is in the README's configuration table, every
// error code in docs/troubleshooting.md, and the pages the README links to exist.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CONFIG_KEYS } from "../../../provider/src/runtime/common.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const read = (f: string) => readFileSync(path.join(ROOT, f), "utf8");

test("the README's configuration table names every stack config key", () => {
  const readme = read("README.md");
  const table = readme.slice(readme.indexOf("### Configuration"), readme.indexOf("### Troubleshooting"));
  assert.deepEqual(Object.values(CONFIG_KEYS).filter((k) => !table.includes(`\`${k}\``)), []);
});

test("docs/troubleshooting.md explains every error code", () => {
  const codes = [...read("sdk/src/errors.ts").matchAll(/\|\s*"([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1]!);
  assert.ok(codes.length > 30, `codes read from errors.ts: ${codes.length}`);
  const doc = read("docs/troubleshooting.md");
  assert.deepEqual(codes.filter((c) => !doc.includes(`\`${c}\``)), []);
});

test("the pages the README links to exist", () => {
  const links = [...read("README.md").matchAll(/\]\(((?:docs|examples)\/[^)#]+)\)/g)].map((m) => m[1]!);
  assert.ok(links.includes("docs/troubleshooting.md") && links.includes("docs/migrating.md"));
  assert.deepEqual(links.filter((l) => !existsSync(path.join(ROOT, l))), []);
});
