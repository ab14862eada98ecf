/** The expiry policy (lifetimes in days), and renewal windows: when a role is due for re-signing under it. */
import { DAY_MS } from "../../../sdk/src/metadata/time.ts";
import { parseGoTime, type ExpiryPolicy } from "../../../sdk/src/index.ts";
import type { ExpiryInput } from "../inputs/fields.ts";

export { DAY_MS };
/** notary warns six months before expiry; we renew inside the same window by default. */
export const DEFAULT_RENEW_BEFORE_DAYS = 182;

/** The renewal window in days: the resource's `renewBeforeDays`, else the provider's (`notary:renewBeforeDays`), else 182. */
export function renewBefore(inputs: { renewBeforeDays?: number | undefined }, config: { renewBeforeDays?: number | undefined }): number {
  return inputs.renewBeforeDays ?? config.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS;
}

/**
 * Is a role due for re-signing at `now`: its `expires` inside the renewal window, or (given the policy's lifetime)
 * further away than a signature made under the policy can reach? The second case is a role another tool signed for
 * longer (notary's CLI writes three years): our own publishes re-sign it under the policy, so a recorded expiry beyond
 * it may already be stale. Re-signing it makes the recorded expiry a lower bound of the server's again (our publishes
 * only move it later), and renewal decisions made from state are then never late.
 */
export function isDue(expires: string | undefined, renewBeforeDays: number, now: Date = new Date(), lifetimeDays?: number): boolean {
  if (!expires) return false;
  // A window as long as the lifetime would re-sign on every run: never renew earlier than half-way through.
  const window = lifetimeDays ? Math.min(renewBeforeDays, lifetimeDays / 2) : renewBeforeDays;
  let at = expiresAt.get(expires);
  if (at === undefined) {
    try {
      at = parseGoTime(expires).getTime();
    } catch {
      return true;
    }
    if (expiresAt.size >= 256) expiresAt.clear();
    expiresAt.set(expires, at);
  }
  const left = at - now.getTime();
  if (lifetimeDays && left > (lifetimeDays + policySlackDays(lifetimeDays)) * DAY_MS) return true;
  return left < window * DAY_MS;
}

/** Calendar years are longer than 365 days (notary adds years), and clocks differ: 1% of the lifetime, at least a day. */
function policySlackDays(lifetimeDays: number): number {
  return Math.max(1, lifetimeDays / 100);
}

/** Parsed `expires` values: every resource of a repository asks about the same few. */
const expiresAt = new Map<string, number>();

/** The SDK's expiry policy (milliseconds) from lifetimes in days. */
export function expiryPolicy(e: ExpiryInput | undefined): ExpiryPolicy {
  const p: ExpiryPolicy = {};
  if (e?.rootDays) p.root = e.rootDays * DAY_MS;
  if (e?.targetsDays) p.targets = e.targetsDays * DAY_MS;
  if (e?.snapshotDays) p.snapshot = e.snapshotDays * DAY_MS;
  if (e?.delegationDays) p.delegation = e.delegationDays * DAY_MS;
  return p;
}

/** Lifetime in days of a role re-signed under an expiry policy (notary's defaults otherwise). */
export function lifetimeDays(role: string, e: ExpiryInput | undefined): number {
  if (role === "root") return e?.rootDays ?? 3650;
  if (role === "snapshot") return e?.snapshotDays ?? 1095;
  if (role === "targets") return e?.targetsDays ?? 1095;
  return e?.delegationDays ?? e?.targetsDays ?? 1095;
}

