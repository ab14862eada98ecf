/**
 * How long a group commit lingers for more staged changes. A publish waits while changes are still being staged (an
 * engine checking many resources ahead of creating them), until staging has paused for the quiet time, and never
 * longer than LINGER_MAX_MS in all. The quiet time is LINGER_QUIET_MS, or, once a steady stream of stagings shows its
 * pace, ten of its gaps, but never less than LINGER_MIN_QUIET_MS: an engine that checks one resource per millisecond
 * has finished when 20 ms pass without one, not 60. Without staging activity a publish starts at once. (Measured:
 * publishing early, so that creates finish while the engine still checks, saved nothing on 2 cores, where the provider
 * host's CPU is the bound either way.)
 */
import type { Clock } from "./clock.ts";

export const LINGER_QUIET_MS = 60;
export const LINGER_MIN_QUIET_MS = 20;
export const LINGER_MAX_MS = 2000;
/** Quick stagings in a row (each within LINGER_QUIET_MS of the previous one) before their pace sets the quiet time. */
export const LINGER_PACE_STAGES = 16;

export class StagingPace {
  /** When the last change was staged (a `Clock.ms()` time). */
  lastAt = -Infinity;
  #quick = 0;
  #gapMs = 0;

  /** Record a staging at `now`. */
  note(now: number): void {
    const gap = now - this.lastAt;
    if (gap < LINGER_QUIET_MS) {
      this.#gapMs = this.#quick === 0 ? gap : this.#gapMs * 0.9 + gap * 0.1;
      this.#quick++;
    } else this.#quick = 0;
    this.lastAt = now;
  }

  /** How long staging must have paused before a lingering publish goes. */
  quietMs(): number {
    if (this.#quick < LINGER_PACE_STAGES) return LINGER_QUIET_MS;
    return Math.min(LINGER_QUIET_MS, Math.max(LINGER_MIN_QUIET_MS, 10 * this.#gapMs));
  }
}

/** Wait for a quiet moment in the stagings, bounded by LINGER_MAX_MS, so that one publish carries them all. */
export async function linger(pace: StagingPace, clock: Pick<Clock, "ms" | "sleep">): Promise<void> {
  const start = clock.ms();
  for (;;) {
    const now = clock.ms();
    const quiet = pace.quietMs();
    const quietFor = now - pace.lastAt;
    const waited = now - start;
    if (quietFor >= quiet || waited >= LINGER_MAX_MS) return;
    await clock.sleep(Math.ceil(Math.min(quiet - quietFor, LINGER_MAX_MS - waited)));
  }
}
