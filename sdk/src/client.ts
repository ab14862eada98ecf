/**
 * NotaryClient: a Notary v1 client for one server; `Repository`: verified reads, initialization and conflict-safe
 * publishing for one GUN. Changes to one repository made in one process are coordinated (queued and merged into one
 * signed publish), so parallel callers never conflict or lose updates.
 */
import { NotaryError, isNotaryError } from "./errors.ts";
import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpStats } from "./remote/http.ts";
import { createAuthenticator, resolveCredentials, type Authenticator, type Credentials } from "./remote/auth.ts";
import { createTransport } from "./remote/transport.ts";
import { NotaryServer } from "./remote/notary-server.ts";
import { belowFloor, floorOf, maxFloor, rollbackError, updateRepository, readableState, type RepoState, type TrustAnchor, type VersionFloor } from "./trust/update.ts";
import { applyChange, createDraft, type Change, type Draft } from "./metadata/changes.ts";
import { assertCanSign, signabilityKey } from "./metadata/signability.ts";
import { draftBatch } from "./trust/batch-draft.ts";
import { targetsInEffect } from "./trust/in-effect.ts";
import { StagingPace, LINGER_MAX_MS } from "./trust/linger.ts";
import { finalizeDraft, holdsRoleKeys, holdsSnapshotKey, type ExpiryPolicy, type FinalizedDraft } from "./metadata/finalize.ts";
import { assertGun } from "./metadata/roles.ts";
import { validateChanges, validateExpiryPolicy, validateFloor } from "./metadata/validate.ts";
import { sha256Hex } from "./crypto/keys.ts";
import { PrivateKey } from "./crypto/sign.ts";
import { initialFiles } from "./trust/init.ts";
import type { SignedFile, Targets } from "./metadata/types.ts";

export type ServerOptions = {
  /** Notary server URL, e.g. `https://notary.example.com:4443`. */
  url: string;
  /** TLS: trusted CA(s) as PEM, client certificate and key for mutual TLS, time-out. */
  tls?: Pick<HttpClientOptions, "ca" | "clientCert" | "clientKey" | "insecureSkipVerify">;
  timeoutMs?: number;
  /** Explicit credentials; otherwise NOTARY_AUTH, then docker's config.json / credential helpers for `registryHost`. */
  username?: string;
  password?: string;
  identityToken?: string;
  /** Registry host whose docker credentials apply (docker's behaviour); defaults to the server's host. */
  registryHost?: string;
  dockerConfigDir?: string;
  env?: Record<string, string | undefined>;
  /** Clock (tests). */
  now?: () => Date;
};

export type RepositoryOptions = {
  anchor?: TrustAnchor;
  /**
   * Versions verified before, by role, that reads must not go below (METADATA_ROLLBACK): carry `repo.floor` from one
   * process to the next, as notary's client keeps its cache, so a server replaying older metadata is caught. Merged
   * with what this handle has verified itself; configure() raises it, never lowers it.
   */
  floor?: VersionFloor;
  expiry?: ExpiryPolicy;
  /** Retries of a publish that lost a version race (re-fetch, re-apply, re-sign). Default 8. */
  maxAttempts?: number;
};

export type InitializeOptions = {
  /** Root private key (ECDSA P-256). */
  rootKey: PrivateKey;
  /** Root certificate PEM for this GUN; generated (CN = GUN, 10 years, as notary does) when omitted. */
  rootCertificate?: string;
  targetsKey: PrivateKey;
  /** A snapshot key held by the client, or "server" (default, as docker does). */
  snapshotKey?: PrivateKey | "server";
};

export type ReadOptions = {
  /**
   * Return the state even when the top-level targets has expired (its status is then "expired"), for a caller that
   * will re-sign it. Without this such a read fails with METADATA_EXPIRED, as notary's does.
   */
  allowExpiredTargets?: boolean;
};

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

/** Changes as data, or computed from the verified state at publish time (re-computed after a lost version race). */
export type ChangeSource = readonly Change[] | ((state: RepoState) => readonly Change[]);

type Pending = {
  changes: ChangeSource;
  keys: readonly PrivateKey[];
  /** Identity of the change's owner (e.g. a resource), so a staged intent and its own publish are merged. */
  id?: string;
  /** A staged intent riding along with someone else's publish: no caller waits for it. */
  rider?: boolean;
  /** When a staged intent is dropped unpublished (its owner never came). */
  expiresAt?: number;
  resolve: (r: PublishResult) => void;
  reject: (e: unknown) => void;
};

/** A client for one notary server. Reuse it: it keeps connections alive and caches tokens. */
export class NotaryClient {
  readonly url: string;
  readonly http: HttpClient;
  readonly auth: Authenticator;
  readonly now: () => Date;
  readonly #repos = new Map<string, Repository>();

  constructor(opts: ServerOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    if (!/^https?:\/\//.test(this.url)) {
      throw new NotaryError("INPUT_INVALID", `server URL ${JSON.stringify(opts.url)} must start with https:// or http://`);
    }
    this.http = createHttpClient({ ...(opts.tls ?? {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    const credOpts = {
      serverUrl: this.url,
      ...(opts.registryHost ? { registryHost: opts.registryHost } : {}),
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(opts.identityToken !== undefined ? { identityToken: opts.identityToken } : {}),
      ...(opts.dockerConfigDir ? { dockerConfigDir: opts.dockerConfigDir } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    };
    this.auth = createAuthenticator({ credentials: (): Promise<Credentials | undefined> => resolveCredentials(credOpts) });
    this.now = opts.now ?? (() => new Date());
  }

  /** The repository handle for a GUN (one per GUN and client, so changes to it are coordinated). */
  repository(gun: string, opts: RepositoryOptions = {}): Repository {
    assertGun(gun);
    validateRepositoryOptions(opts, this.now());
    let r = this.#repos.get(gun);
    if (!r) {
      r = new Repository(this, gun, opts);
      this.#repos.set(gun, r);
    } else {
      r.configure(opts);
    }
    return r;
  }

  stats(): HttpStats {
    return this.http.stats();
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}


/** One GUN on one server. */
export class Repository {
  readonly gun: string;
  readonly server: NotaryServer;
  readonly #client: NotaryClient;
  #anchor: TrustAnchor;
  #expiry: ExpiryPolicy;
  #maxAttempts: number;
  #state: RepoState | undefined;
  /** Files we hold by `<role>.<sha256hex>`, reused instead of downloaded. One entry per role. */
  readonly #known = new Map<string, { key: string; bytes: Uint8Array }>();
  #queue: Pending[] = [];
  readonly #staged = new Map<string, Pending>();
  #pace = new StagingPace();
  #inflight: Promise<RepoState> | undefined;
  #working = false;
  /** Targets files we just published, for the fetch that follows (used as signed, not parsed and verified again). */
  readonly #own = new Map<string, SignedFile<Targets>>();
  /** Answers of the signability check of #inEffect, per verified state. */
  readonly #signable = new WeakMap<RepoState, Map<string, boolean>>();
  /** The batch being published now (its changes can still undo what the verified state shows). */
  #publishing: Pending[] = [];
  /** Counters for tests and benchmarks. */
  readonly counters = { fetches: 0, publishes: 0, conflicts: 0 };

  constructor(client: NotaryClient, gun: string, opts: RepositoryOptions) {
    this.#client = client;
    this.gun = gun;
    this.server = new NotaryServer(client.url, gun, createTransport(client.http, client.auth, gun));
    this.#anchor = opts.anchor ?? {};
    this.#expiry = opts.expiry ?? {};
    this.#maxAttempts = opts.maxAttempts ?? 8;
    this.#floor = opts.floor ?? {};
  }

  configure(opts: RepositoryOptions): void {
    validateRepositoryOptions(opts, this.#client.now());
    if (opts.floor) this.#floor = maxFloor(this.#floor, opts.floor);
    if (opts.anchor) this.#anchor = opts.anchor;
    if (opts.expiry) this.#expiry = opts.expiry;
    if (opts.maxAttempts) this.#maxAttempts = opts.maxAttempts;
  }

  /** The last verified state, if any (no network). */
  get state(): RepoState | undefined {
    return this.#state;
  }

  #floor: VersionFloor;

  /** The versions no later read may go below: what this handle verified or uploaded, and the floor it was given. */
  get floor(): VersionFloor {
    return maxFloor(this.#floor, this.#state ? floorOf(this.#state) : undefined);
  }

  #remember(role: string, bytes: Uint8Array): void {
    this.#known.set(role, { key: `${role}.${sha256Hex(bytes)}`, bytes });
  }

  #knownLookup = (name: string): Uint8Array | undefined => {
    const dot = name.lastIndexOf(".");
    const hit = this.#known.get(name.slice(0, dot));
    return hit && hit.key === name ? hit.bytes : undefined;
  };

  /** Does the server hold trust data for this GUN? */
  async exists(): Promise<boolean> {
    return (await this.server.getMetadata("root", 100 << 20)) !== undefined;
  }

  /**
   * Verified read of the whole repository. Reuses the last verified state's files where unchanged and never accepts
   * versions older than it. An expired top-level targets fails it with METADATA_EXPIRED unless `allowExpiredTargets`
   * (publishing with the targets key renews it).
   *
   * @example
   * const state = await client.repository("example.com/app", { anchor: { rootKeyIds: [rootId] } }).fetch();
   */
  fetch(opts: ReadOptions = {}): Promise<RepoState> {
    return this.#fetchShared().then((state) => {
      // A fetch shared with a caller that started it before this floor was raised: it must meet the floor too.
      const below = belowFloor(state, this.#floor);
      if (below) {
        if (this.#state === state) this.#state = undefined;
        throw rollbackError(below.role, below.version, below.trusted);
      }
      return opts.allowExpiredTargets ? state : readableState(state);
    });
  }

  /**
   * The verified state this handle already holds (kept current by its own publishes), or one fetch shared by every
   * concurrent caller. A process that runs for one deployment fetches each repository once.
   */
  async current(opts: ReadOptions = {}): Promise<RepoState> {
    // A floor raised since the state was read (configure) that the state is below: read again (the fetch enforces it).
    if (this.#state && belowFloor(this.#state, this.#floor)) this.#state = undefined;
    if (!this.#state) return this.fetch(opts);
    return opts.allowExpiredTargets ? this.#state : readableState(this.#state);
  }

  /** One verified read shared by concurrent callers; the state may hold an expired top-level targets (for writers). */
  #fetchShared(): Promise<RepoState> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<RepoState> {
    this.counters.fetches++;
    const state = await updateRepository({
      gun: this.gun,
      fetch: (name, max) => this.server.getMetadata(name, max),
      now: this.#client.now(),
      anchor: this.#state ? { trustedRoot: this.#state.root.bytes } : this.#anchor,
      ...(this.#state ? { previous: this.#state } : {}),
      floor: this.#floor,
      known: this.#knownLookup,
      ownFiles: (name) => this.#own.get(name),
      allowExpiredTargets: true,
      serverUrl: this.#client.url,
    });
    this.#own.clear();
    this.#accept(state);
    return state;
  }

  #accept(state: RepoState): void {
    this.#state = state;
    this.#remember("root", state.root.bytes);
    this.#remember("snapshot", state.snapshot.bytes);
    for (const [role, r] of state.roles) this.#remember(role, r.file.bytes);
    this.#anchor = { trustedRoot: state.root.bytes };
  }

  /** Forget the verified state (the next fetch starts again from the trust anchor). */
  reset(anchor?: TrustAnchor): void {
    this.#state = undefined;
    this.#known.clear();
    if (anchor) this.#anchor = anchor;
  }

  /**
   * Create the trust data: root v1 (root certificate with CN = GUN), targets v1 and, when the client holds the
   * snapshot key, snapshot v1; the server signs the timestamp (and the snapshot by default).
   */
  async initialize(opts: InitializeOptions): Promise<RepoState> {
    const timestampKey = await this.server.getServerKey("timestamp");
    const snapshotKey = opts.snapshotKey && opts.snapshotKey !== "server" ? opts.snapshotKey : await this.server.getServerKey("snapshot");
    const { files, root } = initialFiles({
      gun: this.gun,
      now: this.#client.now(),
      expiry: this.#expiry,
      rootKey: opts.rootKey,
      ...(opts.rootCertificate ? { rootCertificate: opts.rootCertificate } : {}),
      targetsKey: opts.targetsKey,
      snapshotKey,
      timestampKey,
    });
    await this.server.publish(files);
    this.counters.publishes++;
    this.reset({ trustedRoot: root });
    for (const f of files) this.#remember(f.role, f.bytes);
    return this.fetch();
  }

  /**
   * Apply `changes` and publish them, signed with `keys`. Idempotent: changes already in effect publish nothing.
   * Concurrent calls on the same repository are merged into one publish; a lost version race (another process
   * published first) is retried on fresh state, a bounded number of times, with jittered back-off.
   *
   * @example
   * await repo.publish([{ type: "setTarget", role: "targets/releases", name: "v1", meta }], { keys: [releasesKey] });
   */
  publish(changes: ChangeSource, opts: PublishOptions): Promise<PublishResult> {
    // Malformed changes are refused before any request (a function's changes are checked once the state is known).
    if (typeof changes !== "function") {
      try {
        validateChanges(changes);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const done = this.#inEffect(changes, opts.keys);
    if (done) {
      if (opts.id) this.#staged.delete(opts.id);
      return Promise.resolve({ state: done, published: [], attempts: 0 });
    }
    return new Promise<PublishResult>((resolve, reject) => {
      this.#queue.push({ changes, keys: opts.keys, ...(opts.id ? { id: opts.id } : {}), resolve, reject });
      if (!this.#working) void this.#work();
    });
  }

  /**
   * Stage an intended change without publishing it: it rides along with the next publish of this repository (so
   * many changes announced ahead of time go out in few publishes) and is dropped once published. A rider that cannot
   * be applied is dropped silently; a publish the server rejects is retried without riders, so callers only ever fail
   * for their own changes. Staging does no I/O.
   */
  stage(id: string, changes: ChangeSource, opts: { keys: readonly PrivateKey[]; ttlMs?: number }): void {
    this.#pace.note(performance.now());
    const expiresAt = Date.now() + (opts.ttlMs ?? 60_000);
    this.#staged.set(id, { changes, keys: opts.keys, id, rider: true, expiresAt, resolve: () => {}, reject: () => {} });
  }

  /** Forget a staged intent. */
  unstage(id: string): void {
    this.#staged.delete(id);
  }

  /** Number of staged intents not yet published. */
  get stagedCount(): number {
    return this.#staged.size;
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#queue.length > 0) {
        await this.#linger();
        const batch = this.#queue;
        this.#queue = [];
        this.#publishing = batch;
        await this.#publishBatch(batch);
      }
    } finally {
      this.#working = false;
      this.#publishing = [];
    }
  }

  /**
   * The verified state, when `changes` are target changes already in effect in it that no queued or in-flight
   * publish could undo, and `keys` could sign them: such a publish is answered at once instead of waiting for the next
   * group commit. Anything else (no state yet, other kinds of change, an error) takes the normal path.
   */
  #inEffect(changes: ChangeSource, keys: readonly PrivateKey[]): RepoState | undefined {
    const state = this.#state;
    if (!state || state.roles.get("targets")?.status !== "valid") return undefined;
    try {
      const list = typeof changes === "function" ? changes(state) : changes;
      const pending: Change[] = [];
      for (const p of [...this.#publishing, ...this.#queue]) {
        try {
          pending.push(...(typeof p.changes === "function" ? p.changes(state) : p.changes));
        } catch {
          /* that item will be rejected when its batch is drafted: it changes nothing */
        }
      }
      if (!targetsInEffect(state, list, pending)) return undefined;
      // Whether these keys can sign these roles, once per verified state (many owners ask the same question).
      const key = signabilityKey(list, keys);
      let answers = this.#signable.get(state);
      if (!answers) this.#signable.set(state, (answers = new Map()));
      let ok = answers.get(key);
      if (ok === undefined) {
        const draft = createDraft(state.root.signed, [...state.roles].map(([k, v]) => [k, v.file.signed]), [...state.roles].map(([k, v]) => [k, v.paths]));
        try {
          assertCanSign(draft, list, keys);
          ok = true;
        } catch {
          ok = false;
        }
        answers.set(key, ok);
      }
      return ok ? state : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * While intents are still being staged (an engine checking many resources ahead of creating them), wait for a
   * quiet moment (trust/linger.ts: 60 ms, or as little as 20 ms once a steady stream of stagings shows its pace) so
   * that one publish carries them all, bounded so that no publish waits long. Without staging activity a publish
   * starts at once. (Measured: publishing early, so that creates finish while the engine still checks, saved nothing
   * on 2 cores, where the provider host's CPU is the bound either way.)
   */
  async #linger(): Promise<void> {
    const start = performance.now();
    for (;;) {
      const now = performance.now();
      const quiet = this.#pace.quietMs();
      const quietFor = now - this.#pace.lastAt;
      const waited = now - start;
      if (quietFor >= quiet || waited >= LINGER_MAX_MS) return;
      await sleep(Math.ceil(Math.min(quiet - quietFor, LINGER_MAX_MS - waited)));
    }
  }

  async #publishBatch(batch: Pending[]): Promise<void> {
    let attempts = 0;
    let live = batch;
    let withRiders = true;
    for (;;) {
      attempts++;
      // Staged intents of other owners ride along (real items come first; an owner's own publish supersedes its intent).
      const ownIds = new Set(live.flatMap((p) => (p.id ? [p.id] : [])));
      for (const id of ownIds) this.#staged.delete(id);
      const now = Date.now();
      for (const [id, r] of this.#staged) if ((r.expiresAt ?? Infinity) < now) this.#staged.delete(id);
      const riders = withRiders ? [...this.#staged.values()] : [];
      try {
        const state = this.#state ?? (await this.#fetchShared());
        const { draft, accepted } = draftBatch(state, [...live, ...riders]);
        live = accepted.filter((p) => !p.rider);
        const riding = accepted.filter((p) => p.rider);
        for (const r of riders) if (!riding.includes(r) && this.#staged.get(r.id!) === r) this.#staged.delete(r.id!);
        if (live.length === 0) return;
        const keys = uniqueKeys([...live, ...riding].flatMap((p) => p.keys));
        renewExpiredTargets(state, draft, keys);
        await this.#versionNewFiles(draft);
        const clientSnapshot = holdsSnapshotKey(draft.root, keys);
        let fin;
        try {
          fin = finalizeDraft(draft, {
            keys,
            now: this.#client.now(),
            expiry: this.#expiry,
            ...(clientSnapshot ? { snapshot: state.snapshot.signed } : {}),
          });
        } catch (e) {
          if (riding.length > 0) {
            // A rider's role cannot be signed with the keys at hand: publish our own changes without riders.
            for (const r of riding) if (this.#staged.get(r.id!) === r) this.#staged.delete(r.id!);
            withRiders = false;
            attempts--;
            continue;
          }
          throw e;
        }
        if (fin.files.length === 0) {
          for (const r of riding) if (this.#staged.get(r.id!) === r) this.#staged.delete(r.id!);
          for (const p of live) p.resolve({ state, published: [], attempts });
          return;
        }
        try {
          await this.server.publish(fin.files);
        } catch (e) {
          if (riding.length > 0 && !isNotaryError(e, "SERVER_VERSION_CONFLICT")) {
            // The server refused a publish carrying other owners' intents: retry with our own changes only.
            for (const r of riding) if (this.#staged.get(r.id!) === r) this.#staged.delete(r.id!);
            withRiders = false;
            attempts--;
            continue;
          }
          throw e;
        }
        for (const r of riding) if (this.#staged.get(r.id!) === r) this.#staged.delete(r.id!);
        this.counters.publishes++;
        for (const f of fin.files) this.#remember(f.role, f.bytes);
        for (const [role, f] of fin.targets) this.#own.set(`${role}.${sha256Hex(f.bytes)}`, f);
        if (fin.root) this.#anchor = { trustedRoot: fin.root.bytes };
        // The read-back must show at least what we uploaded, under a timestamp the server made after it: a replay of
        // the state from before the publish is a rollback, not a lost race.
        this.#floor = maxFloor(this.#floor, uploadedFloor(state, fin));
        const after = await this.#fetchShared();
        const published = fin.files.map((f) => f.role);
        for (const p of live) p.resolve({ state: after, published, attempts });
        return;
      } catch (e) {
        if (isNotaryError(e, "SERVER_VERSION_CONFLICT") && attempts < this.#maxAttempts) {
          this.counters.conflicts++;
          // Someone else published first: re-fetch and re-apply the same changes to the fresh state.
          await sleep(jitter(attempts));
          try {
            await this.#fetchShared();
          } catch (fetchError) {
            for (const p of live) p.reject(fetchError);
            return;
          }
          continue;
        }
        const err = isNotaryError(e, "SERVER_VERSION_CONFLICT")
          ? new NotaryError(
              "PUBLISH_CONFLICT",
              `publishing to ${this.gun} lost ${attempts} version races in a row against other publishers; try again later`,
              { cause: e, details: { gun: this.gun, attempts } },
            )
          : e;
        for (const p of live) p.reject(err);
        return;
      }
    }
  }

  /**
   * A delegation file created by this draft starts above any version the server still stores for that role (a
   * removed-then-re-created delegation: the server keeps the old file, and versions must only grow).
   */
  async #versionNewFiles(draft: Draft): Promise<void> {
    for (const role of draft.dirty) {
      const t = draft.targets.get(role);
      if (!t || t.version !== 0 || role === "targets") continue;
      const stored = await this.server.getMetadata(role, 100 << 20).catch((e: unknown) => {
        // notary-server on SQL storage finds a role by name through the current snapshot only: one the snapshot does
        // not list answers 500 UNKNOWN instead of memory storage's 404. Either way no stored version to start above
        // (an orphan is unreachable there); a real outage fails the upload itself.
        if (isNotaryError(e) && e.details?.["status"] === 500 && e.details?.["serverCode"] === "UNKNOWN") return undefined;
        throw e;
      });
      if (!stored) continue;
      // The server holds a file for a role our state does not: either our state is stale (another publisher created
      // it since our fetch: publishing "version+1" of an empty file would erase its content), or it is an orphan of a
      // removed role that no snapshot lists any more. Re-fetch to tell them apart.
      const fresh = await this.#fetchShared();
      if (fresh.roles.has(role)) {
        throw new NotaryError("SERVER_VERSION_CONFLICT", `${role} was created on the server by another publisher since our last fetch`, {
          details: { gun: this.gun, role },
        });
      }
      try {
        const v = (JSON.parse(new TextDecoder().decode(stored)) as { signed?: { version?: unknown } }).signed?.version;
        // Only the version number is taken from the unverified orphan; nothing else of it is trusted or re-signed.
        if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) draft.targets.set(role, { ...t, version: v });
      } catch {
        /* unreadable: keep version 0 and let the server decide */
      }
    }
  }

  /** Remove all trust data of the GUN from the server (needs admin `*` access). */
  async delete(): Promise<void> {
    await this.server.deleteAll();
    this.reset();
  }
}

/** Expiry lifetimes must give expiries in the future, floors must be versions: refused before anything is sent. */
function validateRepositoryOptions(opts: RepositoryOptions, now: Date): void {
  if (opts.expiry !== undefined) validateExpiryPolicy(opts.expiry, now, "RepositoryOptions.expiry");
  if (opts.floor !== undefined) validateFloor(opts.floor, "RepositoryOptions.floor");
}

/**
 * A publish to a repository whose top-level targets has expired also re-signs targets (a witness, with a fresh expiry)
 * when its keys can sign targets. Without them it is refused before anything is sent: what it published would stay
 * unreadable behind the expired targets. (notary 0.7 refuses every publish then, witness included: "targets expired".)
 */
function renewExpiredTargets(state: RepoState, draft: Draft, keys: readonly PrivateKey[]): void {
  const top = state.roles.get("targets");
  if (top?.status !== "expired" || draft.dirty.has("targets")) return;
  if (!holdsRoleKeys(draft.root, "targets", keys)) {
    throw new NotaryError(
      "METADATA_EXPIRED",
      `targets metadata of ${state.gun} expired at ${top.file.signed.expires}: nothing was published, because readers could not ` +
        `trust it behind the expired targets; re-sign targets first with the targets key ` +
        `(key ID ${draft.root.roles["targets"]!.keyids.join(" or ")}), or pass that key with this publish`,
      { details: { gun: state.gun, role: "targets", expires: top.file.signed.expires, keyIds: [...draft.root.roles["targets"]!.keyids] } },
    );
  }
  applyChange(draft, { type: "witness", role: "targets" });
}

function uniqueKeys(keys: readonly PrivateKey[]): PrivateKey[] {
  const m = new Map<string, PrivateKey>();
  for (const k of keys) m.set(k.id, k);
  return [...m.values()];
}

function jitter(attempt: number): number {
  const base = Math.min(2000, 50 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * base;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What a read-back after an upload must at least show: the files uploaded, and a timestamp newer than `before`'s. */
function uploadedFloor(before: RepoState, fin: FinalizedDraft): VersionFloor {
  const out: Record<string, number> = { timestamp: before.timestamp.signed.version + 1 };
  if (fin.root) out["root"] = fin.root.signed.version;
  out["snapshot"] = fin.snapshot ? fin.snapshot.signed.version : before.snapshot.signed.version + 1; // server-made otherwise
  for (const [role, f] of fin.targets) out[role] = f.signed.version;
  return out;
}
