/**
 * One attempt at publishing a batch: draft its items and the riders on the verified state, renew an expired targets,
 * version re-created delegation files, sign, upload, and read back what the server now holds.
 */
import type { PrivateKey } from "../crypto/sign.ts";
import type { Draft } from "../metadata/changes.ts";
import { finalizeDraft, holdsSnapshotKey, type FinalizedDraft } from "../metadata/finalize.ts";
import type { RepoState } from "../trust/state.ts";
import { draftBatch } from "./batch-draft.ts";
import { versionNewFiles } from "./new-delegation-files.ts";
import type { Pending } from "./pending.ts";
import type { PublishPorts } from "./ports.ts";
import { uploadedFloor } from "./read-back.ts";
import { renewExpiredTargets } from "./renew-targets.ts";
import type { Riders } from "./riders.ts";
import { isVersionRace } from "./version-race.ts";

export type BatchContext = PublishPorts & { riders: Riders };

/** A batch across attempts: its items still live (a rejected item leaves), and whether riders may board. */
export type BatchRun = { live: Pending[]; attempts: number; withRiders: boolean };

export type AttemptOutcome =
  /** Uploaded and read back, or nothing needed to change (`published` empty). */
  | { kind: "published"; state: RepoState; published: string[] }
  /** Every item was rejected while drafting: nobody is left to answer. */
  | { kind: "nothing-left" }
  /** Signing or the upload failed while riders were aboard: try again with the batch's own items only. */
  | { kind: "without-riders" };

export async function attemptBatch(run: BatchRun, ctx: BatchContext): Promise<AttemptOutcome> {
  const riders = run.withRiders ? ctx.riders.board(run.live) : [];
  const state = ctx.reads.state ?? (await ctx.reads.read());
  const { draft, accepted } = draftBatch(state, [...run.live, ...riders]);
  run.live = accepted.filter((p) => !p.rider);
  const riding = accepted.filter((p) => p.rider);
  ctx.riders.release(riders.filter((r) => !riding.includes(r)));
  if (run.live.length === 0) return { kind: "nothing-left" };
  const keys = uniqueKeys([...run.live, ...riding].flatMap((p) => p.keys));
  renewExpiredTargets(state, draft, keys);
  await versionNewFiles(draft, { gun: ctx.gun, fetch: ctx.fetch, read: () => ctx.reads.read() });
  let fin: FinalizedDraft;
  try {
    fin = sign(state, draft, keys, ctx);
    if (fin.files.length > 0) await ctx.upload(fin.files);
  } catch (e) {
    // A rider's role cannot be signed with the keys at hand, or the server refused a publish carrying other owners'
    // intents: publish our own changes without them. A lost race is not theirs: they board again on fresh state.
    if (riding.length === 0 || isVersionRace(e)) throw e;
    ctx.riders.release(riding);
    return { kind: "without-riders" };
  }
  ctx.riders.release(riding);
  if (fin.files.length === 0) return { kind: "published", state, published: [] };
  ctx.counters.publishes++;
  ctx.reads.holdPublished(fin, uploadedFloor(state, fin));
  return { kind: "published", state: await ctx.reads.readAfter(), published: fin.files.map((f) => f.role) };
}

/** Sign every changed role, and the snapshot when the keys hold it (else the server signs it). */
function sign(state: RepoState, draft: Draft, keys: readonly PrivateKey[], ctx: BatchContext): FinalizedDraft {
  const clientSnapshot = holdsSnapshotKey(draft.root, keys);
  return finalizeDraft(draft, {
    keys,
    now: ctx.clock.now(),
    expiry: ctx.settings.expiry,
    ...(clientSnapshot ? { snapshot: state.snapshot.signed } : {}),
  });
}

function uniqueKeys(keys: readonly PrivateKey[]): PrivateKey[] {
  const m = new Map<string, PrivateKey>();
  for (const k of keys) m.set(k.id, k);
  return [...m.values()];
}
