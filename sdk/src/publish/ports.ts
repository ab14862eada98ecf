/**
 * What the publish wing is handed: the repository's verified reads, its stored files, the upload, a clock, and the
 * settings configure() may change. With fakes of these it runs without a server.
 */
import type { ExpiryPolicy, FinalizedDraft, UploadFile } from "../metadata/finalize.ts";
import type { MetadataFetcher, RepoState, VersionFloor } from "../trust/state.ts";
import type { Clock } from "./clock.ts";

export type VerifiedReads = {
  /** The verified state held, if any. */
  readonly state: RepoState | undefined;
  /** A fresh verified read, shared by concurrent callers (an expired top-level targets allowed: a publish renews it). */
  read(): Promise<RepoState>;
  /** A fresh verified read that starts after now (not one already in flight): what a read-back needs. */
  readAfter(): Promise<RepoState>;
  /** A publish was accepted: hold its files, and make the read-back show at least `floor`. */
  holdPublished(fin: FinalizedDraft, floor: VersionFloor): void;
};

/** Read at each use: configure() may change them between publishes. */
export type PublishSettings = { expiry: ExpiryPolicy; maxAttempts: number };

export type PublishPorts = {
  gun: string;
  reads: VerifiedReads;
  /** A stored metadata file by name, unverified (the version of a re-created delegation's old file). */
  fetch: MetadataFetcher;
  /** One upload of every file; the server applies all or nothing. */
  upload(files: readonly UploadFile[]): Promise<void>;
  clock: Clock;
  settings: PublishSettings;
  /** Counts publishes made and version races lost (tests and benchmarks). */
  counters: { publishes: number; conflicts: number };
};
