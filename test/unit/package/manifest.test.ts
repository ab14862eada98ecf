// The package as published: every runtime dependency is used by the shipped code, and the license it declares is in
// the repository.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; license: string };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|cjs)$/.test(e) ? [p] : [];
  });
}

test("every runtime dependency is imported by the shipped code (sdk, provider, cli)", () => {
  const text = ["sdk/src", "provider/src", "cli"].flatMap((d) => sources(path.join(ROOT, d))).map((f) => readFileSync(f, "utf8")).join("\n");
  const unused = Object.keys(pkg.dependencies).filter((dep) => !new RegExp(`(from |import\\(|require\\()"${dep.replace("/", "\\/")}(/[^"]*)?"`).test(text));
  assert.deepEqual(unused, [], "declared in package.json dependencies but never imported");
});

test("the declared license is in LICENSE", () => {
  assert.equal(pkg.license, "Apache-2.0");
  const text = readFileSync(path.join(ROOT, "LICENSE"), "utf8");
  assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
});
