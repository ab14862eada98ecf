// pulumi-notary as a user's project installs it (the `npm pack` contents under node_modules): each provider is
// serialized as a short require() of its module, not as code, and the real dynamic provider host, started in that
// project, runs Repository, Signer and SignedTag from it; notary reads the result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { notaryServerPerFile } from "../support/per-file.ts";
import { installedProject } from "../support/installed.ts";
import { startProviderHost } from "../support/dynhost.ts";
import { makeTempDir, notaryOk } from "../support/stack.ts";
import { PrivateKey } from "../../sdk/src/index.ts";

const server = notaryServerPerFile();

const FILES = { repository: "repository", delegation: "delegation", signer: "signer", signedTag: "signed-tag", key: "key" } as const;

test("installed package: providers serialize as require() of ~0.3 KB and the real host runs them", async () => {
  const proj = await installedProject();
  const texts: Record<string, string> = {};
  for (const [kind, file] of Object.entries(FILES)) {
    const provider = proj.providers[kind as keyof typeof FILES];
    const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
    assert.ok(text.includes(`require("pulumi-notary/provider/src/providers/${file}.cjs")`), text);
    assert.ok(text.length < 600, `${kind}: ${text.length} bytes`);
    assert.ok(!text.includes("dispatch"), "no provider code in the serialized text");
    texts[kind] = text;
  }

  const h = await startProviderHost({ cwd: proj.dir, project: "installed", config: { "notary:serverUrl": server.url } });
  try {
    const gun = "installed.example.com/app";
    const targets = PrivateKey.generate().exportPkcs8Pem();
    const release = PrivateKey.generate();
    const create = async (type: string, name: string, inputs: Record<string, unknown>) => {
      const urn = h.urn(`pulumi-nodejs:dynamic/notary:${type}`, name);
      const checked = await h.check(urn, {}, inputs);
      assert.deepEqual(checked.failures, []);
      return (await h.create(urn, checked.inputs)).properties;
    };
    const repo = await create("Repository", "repo", { __provider: texts["repository"], gun, rootKey: PrivateKey.generate().exportPkcs8Pem(), targetsKey: targets });
    const ref = { gun, trustedRootSha256: repo["trustedRootSha256"] };
    const pub = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(release.publicKey.public).toString("base64")}\n-----END PUBLIC KEY-----\n`;
    await create("Signer", "ci", { __provider: texts["signer"], ...ref, name: "ci", keys: [pub], targetsKey: targets });
    const digest = createHash("sha256").update("installed").digest("hex");
    const tag = await create("SignedTag", "v1", { __provider: texts["signedTag"], ...ref, tag: "v1", digest: `sha256:${digest}`, size: 42, signingKeys: [release.exportPkcs8Pem()] });
    assert.equal(tag["signedRole"], "targets/releases");

    const listed = await notaryOk(["list", gun], { trustDir: await makeTempDir("installed-notary"), server });
    assert.match(listed, new RegExp(`v1\\s+${digest}\\s+42\\s+targets/(releases|ci)`), "signed in the signer's roles");
  } finally {
    await h.stop();
  }
});

// TypeScript projects resolve the package's types under Pulumi's classic template (`module: commonjs`,
// `moduleResolution: node`, which ignores `exports`) as well as under modern `nodenext`.
for (const [name, options] of [
  ["classic (commonjs, moduleResolution node)", { module: "commonjs", moduleResolution: "node", ignoreDeprecations: "6.0" }],
  ["modern (nodenext)", { module: "nodenext", moduleResolution: "nodenext" }],
] as const) {
  test(`installed package: types resolve under ${name}`, async () => {
    const proj = await installedProject();
    await writeFile(
      path.join(proj.dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { ...options, target: "es2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] }, files: ["index.ts"] }),
    );
    await writeFile(
      path.join(proj.dir, "index.ts"),
      [
        'import * as notary from "pulumi-notary";',
        'import { NotaryClient, PrivateKey } from "pulumi-notary/sdk";',
        "const key: PrivateKey = PrivateKey.generate();",
        'const client: NotaryClient = new NotaryClient({ url: "https://notary.example.com" });',
        "export const kinds = [notary.Repository, notary.SignedTag, key.id, client];",
        "",
      ].join("\n"),
    );
    const tsc = path.join(proj.dir, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", proj.dir], { encoding: "utf8", cwd: proj.dir });
    assert.equal(r.status, 0, `tsc under ${name}:\n${r.stdout}${r.stderr}`);
  });
}
