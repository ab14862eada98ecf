/**
 * What a publish carries through the queue: its changes (as data, or computed from the state a batch starts from),
 * the keys its owner gave, and how its caller hears the outcome. A staged intent riding along is one no caller waits for.
 */
import type { PrivateKey } from "../crypto/sign.ts";
import type { Change } from "../metadata/changes.ts";
import type { RepoState } from "../trust/state.ts";

/** Changes as data, or computed from the verified state at publish time (re-computed after a lost version race). */
export type ChangeSource = readonly Change[] | ((state: RepoState) => readonly Change[]);

export type PublishOptions = {
  /** Private keys available for signing; each role is signed by the keys matching it. */
  keys: readonly PrivateKey[];
  /** Identity of the change's owner; supersedes an intent staged under the same id. */
  id?: string;
};

export type PublishResult = {
  /** Verified state after the publish. */
  state: RepoState;
  /** Roles uploaded by the publish that carried these changes (empty when nothing needed to change). */
  published: string[];
  /** Attempts the publish took (1 unless it lost a version race). */
  attempts: number;
};

export type Pending = {
  changes: ChangeSource;
  keys: readonly PrivateKey[];
  /** Identity of the change's owner (e.g. a resource), so a staged intent and its own publish are merged. */
  id?: string;
  /** A staged intent riding along with someone else's publish: no caller waits for it. */
  rider?: boolean;
  /** When a staged intent is dropped unpublished (its owner never came), on the clock's `ms()` scale. */
  expiresAt?: number;
  resolve: (r: PublishResult) => void;
  reject: (e: unknown) => void;
};

/** The changes of a source as of `state` (a function's may throw). */
export function changesAt(source: ChangeSource, state: RepoState): readonly Change[] {
  return typeof source === "function" ? source(state) : source;
}
