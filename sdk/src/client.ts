/**
 * NotaryClient: a Notary v1 client for one server; `Repository`: verified reads, initialization and conflict-safe
 * publishing for one GUN. Changes to one repository made in one process are coordinated (queued and merged into one
 * signed publish), so parallel callers never conflict or lose updates.
 */
import { NotaryError } from "./errors.ts";
import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpStats } from "./remote/http.ts";
import { createAuthenticator, resolveCredentials, type Authenticator, type Credentials } from "./remote/auth.ts";
import { createTransport } from "./remote/transport.ts";
import { NotaryServer } from "./remote/notary-server.ts";
import type { ExpiryPolicy } from "./metadata/finalize.ts";
import { assertGun } from "./metadata/roles.ts";
import { validateExpiryPolicy, validateFloor } from "./metadata/validate.ts";
import type { PrivateKey } from "./crypto/sign.ts";
import { initialFiles } from "./publish/init.ts";
import { HeldState, type ReadOptions } from "./trust/held-state.ts";
import type { RepoState, TrustAnchor, VersionFloor } from "./trust/state.ts";
import { systemClock } from "./publish/clock.ts";
import { Publisher } from "./publish/publisher.ts";
import type { PublishSettings } from "./publish/ports.ts";
import type { ChangeSource, PublishOptions, PublishResult } from "./publish/pending.ts";

export type { ReadOptions } from "./trust/held-state.ts";
export type { ChangeSource, PublishOptions, PublishResult } from "./publish/pending.ts";

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

/**
 * One GUN on one server: a façade over its verified reads (trust/held-state.ts) and its publishing wing (publish/).
 */
export class Repository {
  readonly gun: string;
  readonly server: NotaryServer;
  readonly #client: NotaryClient;
  readonly #reads: HeldState;
  readonly #publisher: Publisher;
  /** Shared with the publishing wing, which reads them at each use. */
  readonly #settings: PublishSettings;
  /** Counters for tests and benchmarks. */
  readonly counters = { fetches: 0, publishes: 0, conflicts: 0 };

  constructor(client: NotaryClient, gun: string, opts: RepositoryOptions) {
    this.#client = client;
    this.gun = gun;
    this.server = new NotaryServer(client.url, gun, createTransport(client.http, client.auth, gun));
    this.#settings = { expiry: opts.expiry ?? {}, maxAttempts: opts.maxAttempts ?? 8 };
    const fetch = (name: string, max: number) => this.server.getMetadata(name, max);
    this.#reads = new HeldState({
      gun,
      fetch,
      now: () => client.now(),
      serverUrl: client.url,
      anchor: opts.anchor ?? {},
      floor: opts.floor ?? {},
      counters: this.counters,
    });
    this.#publisher = new Publisher({
      gun,
      reads: this.#reads,
      fetch,
      upload: (files) => this.server.publish(files),
      clock: systemClock(() => client.now()),
      settings: this.#settings,
      counters: this.counters,
    });
  }

  configure(opts: RepositoryOptions): void {
    validateRepositoryOptions(opts, this.#client.now());
    if (opts.floor) this.#reads.raiseFloor(opts.floor);
    if (opts.anchor) this.#reads.anchor = opts.anchor;
    if (opts.expiry) this.#settings.expiry = opts.expiry;
    if (opts.maxAttempts) this.#settings.maxAttempts = opts.maxAttempts;
  }

  /** The last verified state, if any (no network). */
  get state(): RepoState | undefined {
    return this.#reads.state;
  }

  /** The versions no later read may go below: what this handle verified or uploaded, and the floor it was given. */
  get floor(): VersionFloor {
    return this.#reads.floor;
  }

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
    return this.#reads.fetch(opts);
  }

  /**
   * The verified state this handle already holds (kept current by its own publishes), or one fetch shared by every
   * concurrent caller. A process that runs for one deployment fetches each repository once.
   */
  current(opts: ReadOptions = {}): Promise<RepoState> {
    return this.#reads.current(opts);
  }

  /** Forget the verified state (the next fetch starts again from the trust anchor). */
  reset(anchor?: TrustAnchor): void {
    this.#reads.reset(anchor);
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
      expiry: this.#settings.expiry,
      rootKey: opts.rootKey,
      ...(opts.rootCertificate ? { rootCertificate: opts.rootCertificate } : {}),
      targetsKey: opts.targetsKey,
      snapshotKey,
      timestampKey,
    });
    await this.server.publish(files);
    this.counters.publishes++;
    this.#reads.reset({ trustedRoot: root });
    this.#reads.holdFiles(files);
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
    return this.#publisher.publish(changes, opts);
  }

  /**
   * Stage an intended change without publishing it: it rides along with the next publish of this repository (so
   * many changes announced ahead of time go out in few publishes) and is dropped once published. A rider that cannot
   * be applied is dropped silently; a publish the server rejects is retried without riders, so callers only ever fail
   * for their own changes. Staging does no I/O. While intents are being staged, a publish lingers for a quiet moment
   * (publish/linger.ts) so that it carries them all.
   */
  stage(id: string, changes: ChangeSource, opts: { keys: readonly PrivateKey[]; ttlMs?: number }): void {
    this.#publisher.stage(id, changes, opts);
  }

  /** Forget a staged intent. */
  unstage(id: string): void {
    this.#publisher.unstage(id);
  }

  /** Number of staged intents not yet published. */
  get stagedCount(): number {
    return this.#publisher.stagedCount;
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

