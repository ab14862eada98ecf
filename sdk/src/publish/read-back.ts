/**
 * What the read after an upload must at least show: the files uploaded, and a timestamp the server made after them.
 * Raised into the floor before that read, so a replay of the state from before the publish is a rollback
 * (METADATA_ROLLBACK), never taken for success nor blamed on other publishers.
 */
import type { FinalizedDraft } from "../metadata/finalize.ts";
import type { RepoState, VersionFloor } from "../trust/state.ts";

export function uploadedFloor(before: RepoState, fin: FinalizedDraft): VersionFloor {
  const out: Record<string, number> = { timestamp: before.timestamp.signed.version + 1 };
  if (fin.root) out["root"] = fin.root.signed.version;
  out["snapshot"] = fin.snapshot ? fin.snapshot.signed.version : before.snapshot.signed.version + 1; // server-made otherwise
  for (const [role, f] of fin.targets) out[role] = f.signed.version;
  return out;
}
