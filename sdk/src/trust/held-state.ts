/**
 * The verified state a repository handle holds between reads: the last state, the files it was made of (reused
 * instead of downloaded), the files this process signed itself, the anchor for the next read and the floor no read
 * may go below. One read at a time, shared by every caller that asks meanwhile.
 */
import { sha256Hex } from "../crypto/keys.ts";
import type { FinalizedDraft } from "../metadata/finalize.ts";
import type { SignedFile, Targets } from "../metadata/types.ts";
import { readableState } from "./checks.ts";
import { belowFloor, floorOf, maxFloor, rollbackError } from "./floor.ts";
import type { MetadataFetcher, RepoState, TrustAnchor, VersionFloor } from "./state.ts";
import { updateRepository } from "./update.ts";

export type ReadOptions = {
  /**
   * Return the state even when the top-level targets has expired (its status is then "expired"), for a caller that
   * will re-sign it. Without this such a read fails with METADATA_EXPIRED, as notary's does.
   */
  allowExpiredTargets?: boolean;
};

export type HeldStateOptions = {
  gun: string;
  fetch: MetadataFetcher;
  now: () => Date;
  serverUrl?: string;
  anchor: TrustAnchor;
  floor: VersionFloor;
  /** Counts the reads made (tests and benchmarks). */
  counters: { fetches: number };
};

export class HeldState {
  readonly #o: HeldStateOptions;
  #state: RepoState | undefined;
  #anchor: TrustAnchor;
  #floor: VersionFloor;
  #inflight: Promise<RepoState> | undefined;
  /** Files we hold by `<role>.<sha256hex>`, reused instead of downloaded. One entry per role. */
  readonly #known = new Map<string, { key: string; bytes: Uint8Array }>();
  /** Targets files we just published, for the read that follows (used as signed, not parsed and verified again). */
  readonly #own = new Map<string, SignedFile<Targets>>();

  constructor(o: HeldStateOptions) {
    this.#o = o;
    this.#anchor = o.anchor;
    this.#floor = o.floor;
  }

  /** The last verified state, if any (no network). */
  get state(): RepoState | undefined {
    return this.#state;
  }

  /** The versions no later read may go below: what was verified or uploaded, and the floor given. */
  get floor(): VersionFloor {
    return maxFloor(this.#floor, this.#state ? floorOf(this.#state) : undefined);
  }

  /** Raise the floor (never lowers it). */
  raiseFloor(floor: VersionFloor): void {
    this.#floor = maxFloor(this.#floor, floor);
  }

  set anchor(anchor: TrustAnchor) {
    this.#anchor = anchor;
  }

  /** A verified read that meets the floor; expired targets only when asked for. */
  fetch(opts: ReadOptions = {}): Promise<RepoState> {
    return this.read().then((state) => {
      // A read shared with a caller that started it before this floor was raised: it must meet the floor too.
      const below = belowFloor(state, this.#floor);
      if (below) {
        if (this.#state === state) this.#state = undefined;
        throw rollbackError(below.role, below.version, below.trusted);
      }
      return opts.allowExpiredTargets ? state : readableState(state);
    });
  }

  /** The state held, unless a floor raised since it was read says to read again. */
  async current(opts: ReadOptions = {}): Promise<RepoState> {
    if (this.#state && belowFloor(this.#state, this.#floor)) this.#state = undefined;
    if (!this.#state) return this.fetch(opts);
    return opts.allowExpiredTargets ? this.#state : readableState(this.#state);
  }

  /** One verified read shared by concurrent callers; the state may hold an expired top-level targets (for writers). */
  read(): Promise<RepoState> {
    this.#inflight ??= this.#read().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /**
   * A verified read that starts after now: a read already in flight began before (a publish's own upload, a lost race)
   * and cannot be trusted to show it, so it is waited out rather than shared.
   */
  async readAfter(): Promise<RepoState> {
    await this.#inflight?.catch(() => undefined);
    return this.read();
  }

  async #read(): Promise<RepoState> {
    this.#o.counters.fetches++;
    // Our own published files, taken now: those a publish holds while this read runs are for the next one.
    const own = new Map(this.#own);
    this.#own.clear();
    const state = await updateRepository({
      gun: this.#o.gun,
      fetch: this.#o.fetch,
      now: this.#o.now(),
      anchor: this.#state ? { trustedRoot: this.#state.root.bytes } : this.#anchor,
      ...(this.#state ? { previous: this.#state } : {}),
      floor: this.#floor,
      known: this.#knownLookup,
      ownFiles: (name) => own.get(name),
      allowExpiredTargets: true,
      ...(this.#o.serverUrl !== undefined ? { serverUrl: this.#o.serverUrl } : {}),
    });
    this.#state = state;
    this.#hold("root", state.root.bytes);
    this.#hold("snapshot", state.snapshot.bytes);
    for (const [role, r] of state.roles) this.#hold(role, r.file.bytes);
    this.#anchor = { trustedRoot: state.root.bytes };
    return state;
  }

  /** Forget the verified state (the next read starts again from the trust anchor). */
  reset(anchor?: TrustAnchor): void {
    this.#state = undefined;
    this.#known.clear();
    if (anchor) this.#anchor = anchor;
  }

  /** Files uploaded: the next read takes them from here. */
  holdFiles(files: readonly { role: string; bytes: Uint8Array }[]): void {
    for (const f of files) this.#hold(f.role, f.bytes);
  }

  /**
   * A publish was accepted: hold its files, take its targets as signed, trust its root, and make the read-back show at
   * least `floor` (a replay of the state from before the publish is then a rollback, not a lost race).
   */
  holdPublished(fin: FinalizedDraft, floor: VersionFloor): void {
    this.holdFiles(fin.files);
    for (const [role, f] of fin.targets) this.#own.set(`${role}.${sha256Hex(f.bytes)}`, f);
    if (fin.root) this.#anchor = { trustedRoot: fin.root.bytes };
    this.raiseFloor(floor);
  }

  #hold(role: string, bytes: Uint8Array): void {
    this.#known.set(role, { key: `${role}.${sha256Hex(bytes)}`, bytes });
  }

  #knownLookup = (name: string): Uint8Array | undefined => {
    const dot = name.lastIndexOf(".");
    const hit = this.#known.get(name.slice(0, dot));
    return hit && hit.key === name ? hit.bytes : undefined;
  };
}
