/**
 * Publishing one batch (the items the queue took, and the riders that board): attempts until it is published, its
 * items are all rejected, or it fails, and every item hears the outcome. A lost version race is attempted again on
 * fresh state after a back-off, up to `maxAttempts` attempts in all; leaving the riders behind costs no attempt.
 */
import { attemptBatch, type AttemptOutcome, type BatchContext, type BatchRun } from "./attempt.ts";
import type { Pending } from "./pending.ts";
import { backoffMs, isVersionRace, publishConflict } from "./version-race.ts";

export async function publishBatch(batch: Pending[], ctx: BatchContext): Promise<void> {
  const run: BatchRun = { live: batch, attempts: 0, withRiders: true };
  for (;;) {
    run.attempts++;
    let outcome: AttemptOutcome;
    try {
      outcome = await attemptBatch(run, ctx);
    } catch (e) {
      if (await readyToRetry(e, run, ctx)) continue;
      return;
    }
    if (outcome.kind === "without-riders") {
      run.withRiders = false;
      run.attempts--;
      continue;
    }
    if (outcome.kind === "published") {
      for (const p of run.live) p.resolve({ state: outcome.state, published: outcome.published, attempts: run.attempts });
    }
    return;
  }
}

/** After a failed attempt: true when a race was lost and fresh state is read; otherwise every live item is rejected. */
async function readyToRetry(e: unknown, run: BatchRun, ctx: BatchContext): Promise<boolean> {
  if (!isVersionRace(e)) return rejectAll(run.live, e);
  if (run.attempts >= ctx.settings.maxAttempts) return rejectAll(run.live, publishConflict(ctx.gun, run.attempts, e));
  ctx.counters.conflicts++;
  // Someone else published first: read again, and the next attempt re-applies the same changes to the fresh state.
  await ctx.clock.sleep(backoffMs(run.attempts));
  try {
    await ctx.reads.readAfter();
  } catch (readError) {
    return rejectAll(run.live, readError);
  }
  return true;
}

function rejectAll(items: readonly Pending[], e: unknown): false {
  for (const p of items) p.reject(e);
  return false;
}
