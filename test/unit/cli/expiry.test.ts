// `expiry`'s verdict and report, on the expiries of a repository docker wrote (Go fixture docker-signers), at fixed times.
import { test } from "node:test";
import assert from "node:assert/strict";
import { updateRepository } from "../../../sdk/src/trust/update.ts";
import { roleExpiries } from "../../../sdk/src/trust/inspect.ts";
import { checkExpiries, formatExpiryReport } from "../../../cli/expiry.ts";
import { fakeFetcher, loadServedRepo, repoJson, NOW } from "../helpers/go-fixtures.ts";

const DAY = 86_400_000;

async function rows() {
  const { gun } = repoJson("docker-signers");
  const { fetch } = fakeFetcher(loadServedRepo("docker-signers"));
  return { gun, rows: roleExpiries(await updateRepository({ gun, fetch, now: NOW, anchor: { tofu: true } })) };
}

const at = (rows: { role: string; expires: string }[], role: string): number => Date.parse(rows.find((r) => r.role === role)!.expires);

test("checkExpiries: a role is expiring when it expires before now + window, expired when before now", async () => {
  const { rows: all } = await rows();
  // The timestamp (14 days) is the first to expire, then targets, delegations and snapshot (3 years), root (10 years).
  const ts = at(all, "timestamp");
  const status = (now: number, windowMs: number, skip = new Map<string, string>()) =>
    Object.fromEntries(checkExpiries(all, new Date(now), windowMs, skip).map((r) => [r.role, r.status]));
  assert.equal(status(ts - 2 * DAY, 1 * DAY)["timestamp"], "ok");
  assert.equal(status(ts - 2 * DAY, 3 * DAY)["timestamp"], "expiring");
  assert.equal(status(ts + 1, 0)["timestamp"], "expired");
  assert.equal(status(ts - 2 * DAY, 3 * DAY, new Map([["timestamp", "re-signed by the server"]]))["timestamp"], "skipped");
  const root = at(all, "root");
  const late = status(root - DAY, 2 * DAY);
  assert.deepEqual(late, { root: "expiring", targets: "expired", "targets/releases": "expired", "targets/alice": "expired", snapshot: "expired", timestamp: "expired" });
  assert.ok(Object.values(status(NOW.getTime(), 1 * DAY)).every((s) => s === "ok"));
});

test("the report names each role with its expiry and time left, then a summary; or prints one OK line", async () => {
  const { gun, rows: all } = await rows();
  const skip = new Map([["timestamp", "re-signed by the server"]]);
  const targets = at(all, "targets");
  const now = new Date(targets - 5 * DAY - 3 * 3_600_000);
  const report = formatExpiryReport(gun, "30d", now, 30 * DAY, checkExpiries(all, now, 30 * DAY, skip));
  const lines = report.trimEnd().split("\n");
  const expiring = lines.filter((l) => l.startsWith("EXPIRING"));
  assert.deepEqual(expiring.map((l) => l.split(/\s+/)[1]).sort(), ["snapshot", "targets", "targets/alice", "targets/releases"]);
  const targetsLine = expiring.find((l) => / targets /.test(l))!;
  assert.match(targetsLine, /^EXPIRING {2}targets {11}expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, in 5d 3h \(version \d+\)$/);
  assert.equal(lines.at(-1), `pulumi-notary: 4 roles of ${gun} expire within 30d (before ${new Date(now.getTime() + 30 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z")}); not checked: timestamp (re-signed by the server)`);

  const ok = formatExpiryReport(gun, "30d", NOW, 30 * DAY, checkExpiries(all, NOW, 30 * DAY, skip));
  assert.equal(ok.split("\n").length, 2, "one line");
  assert.match(ok, new RegExp(`^OK: no role of ${gun.replace(/[.]/g, "\\.")} expires within 30d \\(before .*Z\\); next: (targets|snapshot|targets/\\w+) on .*Z \\(in 10\\d\\dd( \\d+h)?\\); not checked: timestamp \\(re-signed by the server\\)\\n$`));

  const expired = formatExpiryReport(gun, "1d", new Date(at(all, "timestamp") + 2 * DAY), DAY, checkExpiries(all, new Date(at(all, "timestamp") + 2 * DAY), DAY));
  assert.match(expired, /^EXPIRED {3}timestamp {2}expired .*Z, 2d ago \(version \d+\)$/m);
});
