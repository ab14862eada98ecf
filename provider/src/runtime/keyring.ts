/**
 * The private keys this provider host was handed, per GUN, for the life of the process (one `pulumi` command).
 *
 * Why: a Pulumi engine deletes resources removed from the program at the end of an update, from their saved state.
 * When the same `pulumi up` rotated the repository's targets key (or a delegation's key), a removed Signer,
 * Delegation or SignedTag still holds the old key in its state and could not sign its own removal: the stack would be
 * stuck. Deletes therefore sign with their saved keys plus the keys of the same GUN that this command was given by the
 * resources it created or updated (the Repository's new targets key among them). Nothing is written anywhere: the
 * keys are the ones the engine already handed this process.
 */
import type { PrivateKey } from "../../../sdk/src/index.ts";
import { NotaryError, isNotaryError } from "../../../sdk/src/index.ts";
import { parsePrivateKey } from "./common.ts";

const byGun = new Map<string, Map<string, PrivateKey>>();

/** The private-key inputs of any resource kind (a field absent or not a PEM is skipped). */
const KEY_FIELDS = ["rootKey", "targetsKey", "snapshotKey", "parentKey", "signingKeys"] as const;

/** Remember the private keys of a resource's inputs (after a create or update that used them). */
export function rememberKeys(inputs: Record<string, unknown>): void {
  const gun = inputs["gun"];
  if (typeof gun !== "string") return;
  const keys = byGun.get(gun) ?? new Map<string, PrivateKey>();
  for (const field of KEY_FIELDS) {
    const v = inputs[field];
    for (const pem of Array.isArray(v) ? v : [v]) {
      if (typeof pem !== "string" || !pem.includes("PRIVATE KEY")) continue;
      try {
        const k = parsePrivateKey(pem, field);
        keys.set(k.id, k);
      } catch {
        /* an encrypted key without its passphrase, or a damaged one: check already reported it */
      }
    }
  }
  byGun.set(gun, keys);
}

/** `saved` plus the keys this process was given for `gun`, each once. */
export function withKnownKeys(gun: string, saved: readonly PrivateKey[]): PrivateKey[] {
  const out = new Map(saved.map((k) => [k.id, k]));
  for (const [id, k] of byGun.get(gun) ?? []) if (!out.has(id)) out.set(id, k);
  return [...out.values()];
}

/** Key IDs of PEM inputs (for diffs: a changed key is a change even when the server needs no write). */
export function keyIdsOf(v: unknown, field: string): string[] {
  const pems = (Array.isArray(v) ? v : [v]).filter((p): p is string => typeof p === "string");
  return pems.map((p, i) => parsePrivateKey(p, Array.isArray(v) ? `${field}[${i}]` : field).id).sort();
}

/** Whether two PEM inputs name the same keys (an unreadable old value counts as different). */
export function sameKeys(a: unknown, b: unknown, field: string): boolean {
  // The same PEM text is the same key: no parsing on the usual path (every diff of every dependent runs this).
  if (JSON.stringify(a) === JSON.stringify(b)) return true;
  try {
    return JSON.stringify(keyIdsOf(a, field)) === JSON.stringify(keyIdsOf(b, field));
  } catch {
    return false;
  }
}

/**
 * Runs a delete; a SIGNING_KEY_MISSING from it becomes an error that names the resource, its role, the saved key IDs
 * and the input to change, and says how to recover (README: "Recovering from a key rotation").
 */
export async function explainStaleKey<T>(what: { kind: string; name: string; input: string; savedKeyIds: string[] }, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (!isNotaryError(e, "SIGNING_KEY_MISSING")) throw e;
    const role = String(e.details?.["role"] ?? "");
    const expected = (e.details?.["expectedKeyIds"] as string[] | undefined) ?? [];
    throw new NotaryError(
      "SIGNING_KEY_MISSING",
      `cannot remove ${what.kind} '${what.name}': ${role || "its role"} must be signed by [${expected.join(", ")}], and its saved \`${what.input}\` holds [${what.savedKeyIds.join(", ")}] (the key was rotated since). ` +
        `Give the ${what.kind} the current key in \`${what.input}\` and run \`pulumi up\` (the saved key is updated without writing to the server), then run this command again; ` +
        `if the current key is lost, remove the resource from the stack with \`pulumi state delete <urn>\` (README: "Recovering from a key rotation")`,
      { cause: e, details: { role, expectedKeyIds: expected, savedKeyIds: what.savedKeyIds, input: what.input } },
    );
  }
}
