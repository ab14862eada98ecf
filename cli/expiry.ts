/**
 * `pulumi-notary expiry NAME --within 30d`: exit 1 naming every role that expires within the window (or has expired),
 * exit 0 with one OK line otherwise. Made for CI logs; `--json` for programs.
 */
import { isNotaryError, parseGoTime, roleExpiries } from "../sdk/src/index.ts";
import type { RepoState } from "../sdk/src/index.ts";
import { UsageError, boolOpt, formatDuration, parseRepoRef, parseWindow, stringOpt } from "./args.ts";
import type { Command, Io, Parsed } from "./args.ts";
import { REMOTE_OPTIONS, snapshotHolder, withRepository } from "./remote.ts";
import { shortTime } from "./graph-render.ts";

export type ExpiryStatus = "expired" | "expiring" | "ok" | "skipped";
export type ExpiryRow = { role: string; version: number | null; expires: string; status: ExpiryStatus; note?: string };

/**
 * Each role against the deadline `now + windowMs`. Roles in `skip` (role → why) are reported as skipped.
 * @example checkExpiries(roleExpiries(state), new Date(), 30 * 86400000, new Map([["timestamp", "re-signed by the server"]]))
 */
export function checkExpiries(
  roles: readonly { role: string; version: number | null; expires: string }[],
  now: Date,
  windowMs: number,
  skip: ReadonlyMap<string, string> = new Map(),
): ExpiryRow[] {
  const deadline = now.getTime() + windowMs;
  return roles.map((r) => {
    const why = skip.get(r.role);
    if (why !== undefined) return { ...r, status: "skipped", note: why };
    const at = parseGoTime(r.expires).getTime();
    return { ...r, status: at < now.getTime() ? "expired" : at < deadline ? "expiring" : "ok" };
  });
}

/** The report for people: one line per finding and a summary, or one OK line. */
export function formatExpiryReport(gun: string, within: string, now: Date, windowMs: number, rows: readonly ExpiryRow[]): string {
  const deadline = shortTime(new Date(now.getTime() + windowMs).toISOString());
  const found = rows.filter((r) => r.status === "expired" || r.status === "expiring");
  const skipped = rows.filter((r) => r.status === "skipped").map((r) => `${r.role} (${r.note})`);
  const notChecked = skipped.length > 0 ? `; not checked: ${skipped.join(", ")}` : "";
  if (found.length === 0) {
    const next = rows.filter((r) => r.status === "ok").sort((a, b) => parseGoTime(a.expires).getTime() - parseGoTime(b.expires).getTime())[0];
    const nextText = next ? `; next: ${next.role} on ${shortTime(next.expires)} (in ${formatDuration(parseGoTime(next.expires).getTime() - now.getTime())})` : "";
    return `OK: no role of ${gun} expires within ${within} (before ${deadline})${nextText}${notChecked}\n`;
  }
  const width = Math.max(...found.map((r) => r.role.length));
  const lines = found.map((r) => {
    const ms = parseGoTime(r.expires).getTime() - now.getTime();
    const when = r.status === "expired" ? `expired ${shortTime(r.expires)}, ${formatDuration(ms)} ago` : `expires ${shortTime(r.expires)}, in ${formatDuration(ms)}`;
    const version = r.version === null ? "" : ` (version ${r.version})`;
    return `${r.status === "expired" ? "EXPIRED " : "EXPIRING"}  ${r.role.padEnd(width)}  ${when}${version}${r.note ? `: ${r.note}` : ""}`;
  });
  const n = found.length;
  lines.push(`pulumi-notary: ${n} role${n === 1 ? "" : "s"} of ${gun} ${n === 1 ? "expires" : "expire"} within ${within} (before ${deadline})${notChecked}`);
  return lines.join("\n") + "\n";
}

/** The rows of a verified state, or the one role whose expiry stopped verification (root, snapshot, timestamp…). */
async function collect(p: Parsed, io: Io, windowMs: number): Promise<{ rows: ExpiryRow[] }> {
  const ref = parseRepoRef(p.positionals[0]!);
  const skip = new Map<string, string>();
  if (!boolOpt(p, "include-timestamp")) skip.set("timestamp", "re-signed by the server");
  try {
    return await withRepository(p, io, ref, "expiry", async (repo) => {
      const state: RepoState = await repo.fetch({ allowExpiredTargets: true });
      if (boolOpt(p, "ask-server") && (await snapshotHolder(repo, state, io)) === "server") skip.set("snapshot", "held and re-signed by the server");
      return { rows: checkExpiries(roleExpiries(state), io.now(), windowMs, skip) };
    });
  } catch (e) {
    // An expired root, snapshot or timestamp stops a verified read; that is the finding.
    const d = isNotaryError(e, "METADATA_EXPIRED") ? e.details : undefined;
    if (typeof d?.["role"] !== "string" || typeof d["expires"] !== "string") throw e;
    const note = "the other roles could not be verified past it";
    return { rows: [{ role: d["role"], version: null, expires: d["expires"], status: "expired", note }] };
  }
}

async function run(p: Parsed, io: Io): Promise<number> {
  const within = stringOpt(p, "within");
  if (within === undefined) throw new UsageError("expiry: --within is required, e.g. --within 30d");
  const windowMs = parseWindow(within);
  const gun = parseRepoRef(p.positionals[0]!).gun;
  const now = io.now();
  const { rows } = await collect(p, io, windowMs);
  const failing = rows.some((r) => r.status === "expired" || r.status === "expiring");
  if (boolOpt(p, "json")) {
    const deadline = new Date(now.getTime() + windowMs).toISOString();
    io.out(JSON.stringify({ gun, within, now: now.toISOString(), deadline, ok: !failing, roles: rows }, null, 2) + "\n");
  } else {
    io.out(formatExpiryReport(gun, within, now, windowMs, rows));
  }
  return failing ? 1 : 0;
}

export const expiryCommand: Command = {
  name: "expiry",
  synopsis: "NAME --within WINDOW (--root-key-id ID... | --tofu) [--json] [options]",
  summary: "Exit 1 naming every role that expires within WINDOW (or has expired); exit 0 with one OK line otherwise.",
  details: [
    "Checks root, targets, every delegation and snapshot after a verified read. The timestamp is left out unless " +
      "--include-timestamp: notary-server re-signs it (14-day lifetime). With --ask-server, a snapshot whose key the server " +
      "holds is left out too. A :TAG on NAME is ignored (expiry is per repository).",
    "WINDOW is a whole number of days or hours: 30d, 72h, or 30 (days). Output: one line per role that needs re-signing " +
      "(EXPIRED / EXPIRING, role, expiry, time left, version) then a summary line.",
  ],
  options: {
    within: { type: "string", value: "WINDOW", help: "Required: fail when a role expires before now + WINDOW (30d, 72h, 30)." },
    json: { type: "boolean", help: "Print the result as JSON (every role with its status) instead of lines." },
    "include-timestamp": { type: "boolean", help: "Check the timestamp too (notary-server re-signs it on its own)." },
    "ask-server": {
      type: "boolean",
      help: "Ask the server whether it holds the snapshot key (GET snapshot.key, push access); if so leave the snapshot out.",
    },
    ...REMOTE_OPTIONS,
  },
  positionals: { min: 1, max: 1, what: "NAME (the image whose trust data to check)" },
  run,
};
