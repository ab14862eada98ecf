/**
 * The group commit: publishes queue while a batch is being published, and the next batch takes everything queued
 * meanwhile (after lingering while changes are still being staged), so parallel callers in one process never race
 * each other.
 */
import type { Pending } from "./pending.ts";

export class PublishQueue {
  readonly #linger: () => Promise<void>;
  readonly #publish: (batch: Pending[]) => Promise<void>;
  #waiting: Pending[] = [];
  /** The batch being published now. */
  #publishing: Pending[] = [];
  #working = false;

  constructor(linger: () => Promise<void>, publish: (batch: Pending[]) => Promise<void>) {
    this.#linger = linger;
    this.#publish = publish;
  }

  push(item: Pending): void {
    this.#waiting.push(item);
    if (!this.#working) void this.#work();
  }

  /** The items queued or being published: their changes can still undo what the verified state shows. */
  get pending(): Pending[] {
    return [...this.#publishing, ...this.#waiting];
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#waiting.length > 0) {
        await this.#linger();
        const batch = this.#waiting;
        this.#waiting = [];
        this.#publishing = batch;
        await this.#publish(batch);
      }
    } finally {
      this.#working = false;
      this.#publishing = [];
    }
  }
}
