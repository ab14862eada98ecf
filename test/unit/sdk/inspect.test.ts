// inspectTrust reproduces `docker trust inspect` exactly, on a repository docker and notary wrote (Go fixtures).
import { test } from "node:test";
import assert from "node:assert/strict";
import { updateRepository } from "../../../sdk/src/trust/update.ts";
import { inspectTrust, roleExpiries } from "../../../sdk/src/trust/inspect.ts";
import { fakeFetcher, goJson, loadServedRepo, repoJson, NOW } from "../helpers/go-fixtures.ts";

test("inspectTrust equals docker trust inspect's JSON for the docker-signers repository (all tags, and one tag)", async () => {
  const { gun } = repoJson("docker-signers");
  const { fetch } = fakeFetcher(loadServedRepo("docker-signers"));
  const state = await updateRepository({ gun, fetch, now: NOW, anchor: { tofu: true } });
  assert.deepEqual([inspectTrust(state, gun)], goJson("repos/docker-signers/inspect-after-tags.json"));
  assert.deepEqual([inspectTrust(state, gun, "v1")], goJson("repos/docker-signers/inspect-tag-v1.json"));
});

test("roleExpiries lists every role with its version and expiry, which docker and notary do not show", async () => {
  const { gun } = repoJson("docker-signers");
  const { fetch } = fakeFetcher(loadServedRepo("docker-signers"));
  const state = await updateRepository({ gun, fetch, now: NOW, anchor: { tofu: true } });
  const rows = roleExpiries(state);
  const roles = rows.map((r) => r.role);
  assert.equal(roles[0], "root");
  assert.deepEqual(roles.slice(-2), ["snapshot", "timestamp"]);
  for (const r of ["targets", "targets/releases", "targets/alice"]) assert.ok(roles.includes(r), r);
  assert.equal(rows.find((r) => r.role === "targets/alice")!.version, state.roles.get("targets/alice")!.file.signed.version);
  for (const r of rows) assert.match(r.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(rows.find((r) => r.role === "root")!.version, state.root.signed.version);
});
