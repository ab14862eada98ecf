// `expiry` against a real notary-server: exit 1 naming every role that expires within the window (or has expired),
// exit 0 with one OK line otherwise; days, hours and plain days; the timestamp left to the server unless asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { notaryServerPerFile } from "../support/per-file.ts";
import { clientPerSuite, manifest, DAY_MS } from "./interop-helpers.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { keyToJson } from "../../sdk/src/crypto/keys.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const server = notaryServerPerFile({ tls: true });
const client = clientPerSuite(server);

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const iso = (expires: string) => new Date(expires).toISOString().replace(/\.\d{3}Z$/, "Z");

test("expiry names each role expiring within the window and exits 1; a narrower window is OK (exit 0, one line)", async () => {
  const gun = `${server.host}/expiry/app`;
  const [rootKey, targetsKey, soon, later] = Array.from({ length: 4 }, () => PrivateKey.generate()) as PrivateKey[];
  const repo = client.repository(gun, { anchor: { tofu: true } });
  const init = await repo.initialize({ rootKey: rootKey!, targetsKey: targetsKey! });
  await repo.publish(
    [
      { type: "setDelegation", name: "targets/soon", keys: [keyToJson(soon!.publicKey)], threshold: 1, paths: [""] },
      { type: "setDelegation", name: "targets/later", keys: [keyToJson(later!.publicKey)], threshold: 1, paths: [""] },
    ],
    { keys: [targetsKey!] },
  );
  await repo.publish([{ type: "setTarget", role: "targets/later", name: "v1", meta: manifest("later").meta }], { keys: [later!] });
  // targets/soon lives 10 days.
  const tenDays = client.repository(gun, { expiry: { delegation: 10 * DAY_MS } });
  await tenDays.publish([{ type: "setTarget", role: "targets/soon", name: "v1", meta: manifest("soon").meta }], { keys: [soon!] });
  const state = tenDays.state!;
  const soonExpires = state.roles.get("targets/soon")!.file.signed.expires;
  const remote = ["--server", server.url, "--ca", server.caFile!, "--root-key-id", init.root.signed.roles["root"]!.keyids[0]!];

  for (const within of ["30d", "30", "240h"]) {
    const r = cli(["expiry", gun, "--within", within, ...remote]);
    assert.equal(r.code, 1, `${within}: ${r.stderr}`);
    assert.equal(r.stderr, "");
    const lines = r.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, -1), [`EXPIRING  targets/soon  expires ${iso(soonExpires)}, in 9d 23h (version ${state.roles.get("targets/soon")!.file.signed.version})`]);
    assert.match(lines.at(-1)!, new RegExp(`^pulumi-notary: 1 role of ${gun.replace(/\./g, "\\.")} expires within ${within} \\(before .*Z\\); not checked: timestamp \\(re-signed by the server\\)$`));
  }

  const ok = cli(["expiry", `${gun}:v1`, "--within", "9d", ...remote]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  // --ca takes the certificate's text as well as a path (before: ENOENT on the text taken as a file name).
  const pinned = remote.filter((a, i) => a !== "--ca" && remote[i - 1] !== "--ca");
  const caText = cli(["expiry", `${gun}:v1`, "--within", "9d", ...pinned, `--ca=${server.caPem!}`]);
  assert.equal(caText.code, 0, caText.stdout + caText.stderr);
  assert.match(ok.stdout, /^OK: no role of .* expires within 9d \(before .*Z\); next: targets\/soon on .*Z \(in 9d 23h\); not checked: timestamp \(re-signed by the server\)\n$/);

  // The timestamp (14 days, re-signed by the server) only when asked for; --json lists every role.
  const withTs = cli(["expiry", gun, "--within", "20d", "--include-timestamp", "--json", ...remote]);
  assert.equal(withTs.code, 1);
  const report = JSON.parse(withTs.stdout) as { ok: boolean; within: string; roles: { role: string; status: string; expires: string; version: number }[] };
  assert.equal(report.ok, false);
  assert.equal(report.within, "20d");
  const status = Object.fromEntries(report.roles.map((r) => [r.role, r.status]));
  assert.deepEqual(status, { root: "ok", targets: "ok", "targets/soon": "expiring", "targets/later": "ok", snapshot: "ok", timestamp: "expiring" });
  assert.equal(report.roles.find((r) => r.role === "timestamp")!.expires, state.timestamp.signed.expires);

  // The snapshot is the server's here (docker's default): --ask-server leaves it out; a 4-year window catches the rest.
  const wide = cli(["expiry", gun, "--within", `${4 * 365}d`, "--ask-server", ...remote]);
  assert.equal(wide.code, 1);
  const names = wide.stdout.trimEnd().split("\n").slice(0, -1).map((l) => l.split(/\s+/)[1]).sort();
  assert.deepEqual(names, ["targets", "targets/later", "targets/soon"]);
  assert.match(wide.stdout, /not checked: snapshot \(held and re-signed by the server\), timestamp \(re-signed by the server\)\n$/);
});

test("an expired delegation is reported as EXPIRED with exit 1", async () => {
  const gun = `${server.host}/expiry/expired`;
  const [rootKey, targetsKey, old] = Array.from({ length: 3 }, () => PrivateKey.generate()) as PrivateKey[];
  const repo = client.repository(gun, { anchor: { tofu: true } });
  const init = await repo.initialize({ rootKey: rootKey!, targetsKey: targetsKey! });
  await repo.publish([{ type: "setDelegation", name: "targets/old", keys: [keyToJson(old!.publicKey)], threshold: 1, paths: [""] }], { keys: [targetsKey!] });
  const short = client.repository(gun, { expiry: { delegation: 2_000 } });
  await short.publish([{ type: "setTarget", role: "targets/old", name: "v1", meta: manifest("old").meta }], { keys: [old!] });
  const expires = short.state!.roles.get("targets/old")!.file.signed.expires;
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expires) - Date.now()) + 200));
  const r = cli(["expiry", gun, "--within", "0d", "--server", server.url, "--ca", server.caFile!, "--root-key-id", init.root.signed.roles["root"]!.keyids[0]!]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`^EXPIRED {3}targets/old {2}expired ${iso(expires)}, 0h ago \\(version \\d+\\)\\n`));
});
