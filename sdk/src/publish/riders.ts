/**
 * Staged intents: changes announced ahead of time that ride along with the next publish of the repository (so many
 * changes go out in few publishes), and are forgotten once published, refused, superseded by their owner's own
 * publish, or expired. A rider never makes anyone else's publish fail: one that cannot be applied is dropped.
 */
import type { PrivateKey } from "../crypto/sign.ts";
import type { Clock } from "./clock.ts";
import { StagingPace } from "./linger.ts";
import type { ChangeSource, Pending } from "./pending.ts";

const noop = (): void => {};

export class Riders {
  readonly #clock: Pick<Clock, "ms">;
  readonly #staged = new Map<string, Pending>();
  /** The pace of the stagings, which tells a publish how long to linger for more. */
  readonly pace = new StagingPace();

  constructor(clock: Pick<Clock, "ms">) {
    this.#clock = clock;
  }

  stage(id: string, changes: ChangeSource, keys: readonly PrivateKey[], ttlMs: number): void {
    const now = this.#clock.ms();
    this.pace.note(now);
    this.#staged.set(id, { changes, keys, id, rider: true, expiresAt: now + ttlMs, resolve: noop, reject: noop });
  }

  unstage(id: string): void {
    this.#staged.delete(id);
  }

  get count(): number {
    return this.#staged.size;
  }

  /**
   * The riders for a batch carrying `live`: an owner's own publish supersedes its intent, and intents whose owner
   * never came are dropped; the rest board, after the batch's own items.
   */
  board(live: readonly Pending[]): Pending[] {
    for (const p of live) if (p.id) this.#staged.delete(p.id);
    const now = this.#clock.ms();
    for (const [id, r] of this.#staged) if ((r.expiresAt ?? Infinity) < now) this.#staged.delete(id);
    return [...this.#staged.values()];
  }

  /** Riders done with (published, refused, or left behind): forgotten, unless their owner staged them again since. */
  release(riders: Iterable<Pending>): void {
    for (const r of riders) if (this.#staged.get(r.id!) === r) this.#staged.delete(r.id!);
  }
}
