/**
 * A delegation file created by a draft starts above any version the server still stores for that role (a
 * removed-then-re-created delegation: the server keeps the old file, and versions must only grow).
 */
import { NotaryError, isNotaryError } from "../errors.ts";
import type { Draft } from "../metadata/changes.ts";
import type { MetadataFetcher, RepoState } from "../trust/state.ts";

export type StoredFiles = {
  gun: string;
  /** A stored metadata file by name, unverified. */
  fetch: MetadataFetcher;
  /** A fresh verified read. */
  read(): Promise<RepoState>;
};

export async function versionNewFiles(draft: Draft, stored: StoredFiles): Promise<void> {
  for (const role of draft.dirty) {
    const t = draft.targets.get(role);
    if (!t || t.version !== 0 || role === "targets") continue;
    const bytes = await storedFile(stored, role);
    if (!bytes) continue;
    // The server holds a file for a role our state does not: either our state is stale (another publisher created
    // it since our read: publishing "version+1" of an empty file would erase its content), or it is an orphan of a
    // removed role that no snapshot lists any more. Read again to tell them apart.
    const fresh = await stored.read();
    if (fresh.roles.has(role)) {
      throw new NotaryError("SERVER_VERSION_CONFLICT", `${role} was created on the server by another publisher since our last fetch`, {
        details: { gun: stored.gun, role },
      });
    }
    const v = orphanVersion(bytes);
    if (v !== undefined) draft.targets.set(role, { ...t, version: v });
  }
}

function storedFile(stored: StoredFiles, role: string): Promise<Uint8Array | undefined> {
  return stored.fetch(role, 100 << 20).catch((e: unknown) => {
    // notary-server on SQL storage finds a role by name through the current snapshot only: one the snapshot does not
    // list answers 500 UNKNOWN instead of memory storage's 404. Either way no stored version to start above (an
    // orphan is unreachable there); a real outage fails the upload itself.
    if (isNotaryError(e) && e.details?.["status"] === 500 && e.details?.["serverCode"] === "UNKNOWN") return undefined;
    throw e;
  });
}

/** Only the version number is taken from the unverified orphan; nothing else of it is trusted or re-signed. */
function orphanVersion(bytes: Uint8Array): number | undefined {
  try {
    const v = (JSON.parse(new TextDecoder().decode(bytes)) as { signed?: { version?: unknown } }).signed?.version;
    return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined;
  } catch {
    return undefined; // unreadable: keep version 0 and let the server decide
  }
}
