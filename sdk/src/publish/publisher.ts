/**
 * Publishing to one repository: publish() queues changes (or answers at once when they are in effect already), stage()
 * announces changes that ride along with the next publish. Changes made in one process are merged into few signed
 * publishes, so parallel callers never conflict or lose updates; races with other processes are retried.
 */
import type { PrivateKey } from "../crypto/sign.ts";
import { validateChanges } from "../metadata/validate.ts";
import type { BatchContext } from "./attempt.ts";
import { publishBatch } from "./batch.ts";
import { answeredEarly } from "./early-answer.ts";
import { linger } from "./linger.ts";
import type { ChangeSource, PublishOptions, PublishResult } from "./pending.ts";
import type { PublishPorts } from "./ports.ts";
import { PublishQueue } from "./queue.ts";
import { Riders } from "./riders.ts";
import { SignabilityAnswers } from "./signability.ts";

/** How long a staged intent waits for a publish to carry it, unless told. */
export const STAGED_TTL_MS = 60_000;

export class Publisher {
  readonly #ctx: BatchContext;
  readonly #queue: PublishQueue;
  readonly #signability = new SignabilityAnswers();

  constructor(ports: PublishPorts) {
    const riders = new Riders(ports.clock);
    this.#ctx = { ...ports, riders };
    this.#queue = new PublishQueue(
      () => linger(riders.pace, ports.clock),
      (batch) => publishBatch(batch, this.#ctx),
    );
  }

  publish(changes: ChangeSource, opts: PublishOptions): Promise<PublishResult> {
    // Malformed changes are refused before any request (a function's changes are checked once the state is known).
    if (typeof changes !== "function") {
      try {
        validateChanges(changes);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const done = answeredEarly(this.#ctx.reads.state, changes, opts.keys, this.#queue.pending, this.#signability);
    if (done) {
      if (opts.id) this.#ctx.riders.unstage(opts.id);
      return Promise.resolve({ state: done, published: [], attempts: 0 });
    }
    return new Promise<PublishResult>((resolve, reject) => {
      this.#queue.push({ changes, keys: opts.keys, ...(opts.id ? { id: opts.id } : {}), resolve, reject });
    });
  }

  stage(id: string, changes: ChangeSource, opts: { keys: readonly PrivateKey[]; ttlMs?: number }): void {
    this.#ctx.riders.stage(id, changes, opts.keys, opts.ttlMs ?? STAGED_TTL_MS);
  }

  unstage(id: string): void {
    this.#ctx.riders.unstage(id);
  }

  get stagedCount(): number {
    return this.#ctx.riders.count;
  }
}
