/**
 * Shared plumbing of the resource implementations: provider configuration, the per-process client cache (so every
 * resource of one `pulumi up` shares connections, verified state and the publish queue of each GUN), key parsing,
 * unknown-value handling and renewal windows. No Pulumi import: this module runs inside the dynamic provider host.
 */
import { createHash, createPrivateKey } from "node:crypto";
import {
  NotaryClient,
  NotaryError,
  isNotaryError,
  PrivateKey,
  publicKeyFromSpki,
  publicKeyFromCertificatePem,
  parseGoTime,
  type PublicKey,
  type Repository as SdkRepository,
  type ServerOptions,
  type RepoState,
  type ReadOptions,
} from "../../../sdk/src/index.ts";
import { readPrivateKeyFile } from "../../../sdk/src/crypto/keyfile.ts";
import { reportingProgress } from "./progress.ts";
import { DAY_MS } from "../../../sdk/src/metadata/time.ts";

/** The value the engine sends for inputs not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(isUnknown);
  if (v && typeof v === "object") return Object.values(v).some(isUnknown);
  return false;
}

/** Connection settings for a notary server, per resource (`server` input) or from stack config. */
export type ServerInput = {
  url?: string;
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  insecureSkipVerify?: boolean;
  username?: string;
  password?: string;
  /** Registry host whose docker credentials apply; defaults to the GUN's first component. */
  registryHost?: string;
  /** Time-out of each request to the notary server, in seconds (default 30). */
  timeoutSeconds?: number;
};

/** Stack configuration (`notary:*` keys), read by the providers' `configure`. */
export type ProviderConfig = ServerInput & { renewBeforeDays?: number };

export const CONFIG_KEYS = {
  url: "notary:serverUrl",
  caPem: "notary:caPem",
  clientCertPem: "notary:clientCertPem",
  clientKeyPem: "notary:clientKeyPem",
  insecureSkipVerify: "notary:insecureSkipVerify",
  username: "notary:username",
  password: "notary:password",
  renewBeforeDays: "notary:renewBeforeDays",
  timeoutSeconds: "notary:timeoutSeconds",
} as const;

/**
 * Build ProviderConfig from a `get(key)` accessor (the dynamic provider's `configure` request). A malformed number
 * fails with INPUT_INVALID naming the config key (every resource of the provider then reports it).
 */
export function readConfig(get: (key: string) => string | undefined): ProviderConfig {
  const c: ProviderConfig = {};
  for (const [field, key] of Object.entries(CONFIG_KEYS)) {
    const v = get(key);
    if (v === undefined || v === "") continue;
    if (field === "insecureSkipVerify") c.insecureSkipVerify = v === "true";
    else if (field === "renewBeforeDays" || field === "timeoutSeconds") {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || (field === "timeoutSeconds" && n === 0)) {
        throw inputError(key, field === "timeoutSeconds" ? "must be a number of seconds > 0" : "must be a number of days ≥ 0");
      }
      c[field] = n;
    }
    else (c as Record<string, unknown>)[field] = v;
  }
  return c;
}

export function inputError(field: string, message: string): NotaryError {
  return new NotaryError("INPUT_INVALID", `${field}: ${message}`, { details: { field } });
}

/** Effective server options: the resource's `server` input, then stack config, then docker's environment. */
export function serverOptions(config: ProviderConfig, input: ServerInput | undefined, gun: string): ServerOptions {
  const s = { ...config, ...dropEmpty(input ?? {}) };
  const url = s.url ?? process.env["DOCKER_CONTENT_TRUST_SERVER"];
  if (!url) {
    throw inputError(
      "server.url",
      "no notary server URL: set the resource's server.url, the stack config notary:serverUrl, or DOCKER_CONTENT_TRUST_SERVER",
    );
  }
  const tls = {
    ...(s.caPem ? { ca: s.caPem } : {}),
    ...(s.clientCertPem ? { clientCert: s.clientCertPem } : {}),
    ...(s.clientKeyPem ? { clientKey: s.clientKeyPem } : {}),
    ...(s.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
  };
  return {
    url,
    tls,
    ...(s.username ? { username: s.username } : {}),
    ...(s.password ? { password: s.password } : {}),
    ...(validTimeout(s.timeoutSeconds) ? { timeoutMs: Math.round(s.timeoutSeconds * 1000) } : {}),
    registryHost: s.registryHost ?? gun.split("/")[0]!,
  };
}

function validTimeout(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

/** Check failures of a `server` input (what Check can tell without the network). */
export function checkServerInput(server: ServerInput | undefined, f: { property: string; reason: string }[]): void {
  const t = server?.timeoutSeconds;
  if (t !== undefined && !isUnknown(t) && !validTimeout(t)) f.push({ property: "server.timeoutSeconds", reason: "must be a number of seconds > 0" });
}

function dropEmpty<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== "")) as Partial<T>;
}

type ClientCache = Map<string, NotaryClient>;
const CACHE = Symbol.for("pulumi-notary.clients");

/**
 * One NotaryClient per distinct server settings in this process, shared by every resource. Keyed by a hash so no
 * credential is held as a map key in clear.
 */
export function clientFor(opts: ServerOptions): NotaryClient {
  const g = globalThis as unknown as Record<symbol, ClientCache | undefined>;
  const cache = (g[CACHE] ??= new Map());
  const key = createHash("sha256").update(JSON.stringify(opts)).digest("hex");
  let c = cache.get(key);
  if (!c) {
    c = new NotaryClient(opts);
    cache.set(key, c);
  }
  return c;
}

/** Clients of resources without a `server` input, by stack config object: no hashing of settings on every call. */
const plainClients = new WeakMap<ProviderConfig, Map<string, NotaryClient>>();

function clientForResource(config: ProviderConfig, server: ServerInput | undefined, gun: string): NotaryClient {
  if (server && Object.keys(dropEmpty(server)).length > 0) return clientFor(serverOptions(config, server, gun));
  const byHost = plainClients.get(config) ?? new Map<string, NotaryClient>();
  plainClients.set(config, byHost);
  const key = `${gun.split("/")[0]}\u0000${process.env["DOCKER_CONTENT_TRUST_SERVER"] ?? ""}`;
  let c = byHost.get(key);
  if (!c) byHost.set(key, (c = clientFor(serverOptions(config, server, gun))));
  return c;
}

/** The shared repository handle for a GUN, anchored on the pinned root when the client has no state for it yet. */
export function repositoryFor(
  config: ProviderConfig,
  server: ServerInput | undefined,
  gun: string,
  anchor: { trustedRoot?: string; trustedRootSha256?: string; rootKeyIds?: string[] },
  saved?: SavedVersions,
): SdkRepository {
  const repo = reportingProgress(clientForResource(config, server, gun).repository(gun));
  if (!repo.state) {
    if (anchor.trustedRoot) repo.configure({ anchor: { trustedRoot: new Uint8Array(Buffer.from(anchor.trustedRoot, "base64")) } });
    else if (anchor.trustedRootSha256) repo.configure({ anchor: { trustedRootSha256: anchor.trustedRootSha256 } });
    else if (anchor.rootKeyIds?.length) repo.configure({ anchor: { rootKeyIds: anchor.rootKeyIds } });
  }
  const floor = saved && floorFrom(saved);
  if (floor) repo.configure({ floor });
  return repo;
}

/**
 * The verified state of a repository: fetched once per provider host process (one `pulumi` command), shared by all
 * resources, and kept current by our own publishes. `undefined` when the server has no trust data for the GUN.
 */
export async function stateOf(repo: SdkRepository, opts: ReadOptions = {}): Promise<RepoState | undefined> {
  try {
    return await currentOf(repo, opts);
  } catch (e) {
    if (isNotaryError(e, "METADATA_NOT_FOUND") && !repo.state && e.details?.["role"] === "root") return undefined;
    throw e;
  }
}

/**
 * Rollback protection across commands: the versions a resource's state recorded (by role) are the floor of every read
 * this command makes of the repository (the SDK refuses anything older with METADATA_ROLLBACK), as notary's client
 * keeps what it verified on disk. The floor only rises within a process. NOTARY_ACCEPT_ROLLBACK=true in the
 * environment leaves it out, to accept older metadata deliberately for one command (a server restored from a backup);
 * an environment variable because `pulumi refresh` and `destroy` configure providers from the last `up`'s config.
 */
export type SavedVersions = Record<string, number | undefined>;

function floorFrom(saved: SavedVersions): Record<string, number> | undefined {
  if (process.env["NOTARY_ACCEPT_ROLLBACK"] === "true") return undefined;
  const f: Record<string, number> = {};
  for (const [role, v] of Object.entries(saved)) if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) f[role] = v;
  return f;
}

/** `repo.current()`, whose METADATA_EXPIRED for an expired targets also says what renews it. */
export async function currentOf(repo: SdkRepository, opts: ReadOptions = {}): Promise<RepoState> {
  try {
    return await repo.current(opts);
  } catch (e) {
    if (isNotaryError(e, "METADATA_EXPIRED") && e.details?.["role"] === "targets") {
      throw new NotaryError(
        "METADATA_EXPIRED",
        `${e.message}. The Repository resource of ${repo.gun} renews it on \`pulumi up\` (target it alone, ` +
          `\`pulumi up --target <its URN>\`, when a refresh of other resources stops first)`,
        { cause: e, details: { ...e.details, gun: repo.gun } },
      );
    }
    throw e;
  }
}

const parsedKeys = new Map<string, PrivateKey>();

/**
 * Parse a private key PEM: PKCS#8 (plain or encrypted notary/docker files), SEC1 `EC PRIVATE KEY`, notary Ed25519.
 * Parsed keys are kept per process (keyed by a hash of PEM and passphrase): every resource of a run signs with the
 * same few keys, and parsing costs about a millisecond.
 */
export function parsePrivateKey(pem: string, field: string, passphrase?: string): PrivateKey {
  // The key of the previous call first: a run signs its many tags with the same key (the comparison is of the
  // strings' contents, cheaper than hashing them).
  if (lastParsed && lastParsed.pem === pem && lastParsed.passphrase === passphrase) return lastParsed.key;
  const key = parsePrivateKeyCached(pem, field, passphrase);
  if (typeof pem === "string") lastParsed = { pem, passphrase, key };
  return key;
}

let lastParsed: { pem: string; passphrase: string | undefined; key: PrivateKey } | undefined;

function parsePrivateKeyCached(pem: string, field: string, passphrase?: string): PrivateKey {
  const cacheKey = typeof pem === "string" ? createHash("sha256").update(pem).update("\0").update(passphrase ?? "").digest("hex") : "";
  const hit = cacheKey ? parsedKeys.get(cacheKey) : undefined;
  if (hit) return hit;
  const key = parsePrivateKeyUncached(pem, field, passphrase);
  if (parsedKeys.size > 1000) parsedKeys.clear();
  parsedKeys.set(cacheKey, key);
  return key;
}

function parsePrivateKeyUncached(pem: string, field: string, passphrase?: string): PrivateKey {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw inputError(field, "expected a PEM private key");
  try {
    // An encrypted notary/docker key file without an explicit passphrase: the CLIs' environment variables, chosen by
    // the file's `role:` header as notary and docker choose them.
    const parsed = readPrivateKeyFile(pem, passphrase ?? ((block: { role?: string }) => envPassphrase(block.role)));
    return PrivateKey.fromPkcs8(parsed.pkcs8);
  } catch (e) {
    if (e instanceof NotaryError && e.code !== "KEY_FILE_INVALID") {
      throw new NotaryError(e.code, `${field}: ${e.message}`, { details: { field } });
    }
    try {
      const k = createPrivateKey({ key: pem, format: "pem" });
      return PrivateKey.fromPkcs8(new Uint8Array(k.export({ type: "pkcs8", format: "der" })));
    } catch {
      throw inputError(field, "is not a private key that can be read (PKCS#8, EC PRIVATE KEY, or a notary/docker key file)");
    }
  }
}

/**
 * notary's `NOTARY_<ROLE>_PASSPHRASE` (delegation for any other alias), then docker's
 * `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` / `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` (reference §9.4).
 */
export function envPassphrase(role: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  const r = role ?? "";
  const notaryVar = r === "root" || r === "targets" || r === "snapshot" ? `NOTARY_${r.toUpperCase()}_PASSPHRASE` : "NOTARY_DELEGATION_PASSPHRASE";
  const dockerVar = r === "root" ? "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE" : "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE";
  return env[notaryVar] || env[dockerVar] || undefined;
}

/** Parse a public key PEM (`PUBLIC KEY`, docker `.pub` with `role:` header) or certificate. */
export function parsePublicKey(pem: string, field: string): PublicKey {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw inputError(field, "expected a PEM public key or certificate");
  if (pem.includes("-----BEGIN CERTIFICATE-----")) {
    try {
      return publicKeyFromCertificatePem(goPem(pem));
    } catch (e) {
      throw inputError(field, `certificate cannot be read: ${(e as Error).message}`);
    }
  }
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(pem);
  if (!m) throw inputError(field, "expected a PUBLIC KEY or CERTIFICATE PEM block");
  const body = m[1]!.split(/\r?\n/).filter((l) => l && !l.includes(":")).join("");
  try {
    return publicKeyFromSpki(new Uint8Array(Buffer.from(body, "base64")));
  } catch (e) {
    throw inputError(field, `public key cannot be read: ${(e as Error).message}`);
  }
}

/** Re-encode certificate PEM blocks the way Go's pem.Encode writes them (64-column base64, `\n`), as notary does. */
function goPem(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks
    .map((b) => {
      const body = b.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
      return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
    })
    .join("");
}

export function publicKeyPem(key: PublicKey): string {
  if (key.keyType.endsWith("-x509")) return Buffer.from(key.public).toString("utf8");
  const b64 = Buffer.from(key.public).toString("base64");
  return `-----BEGIN PUBLIC KEY-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

export { DAY_MS };
/** notary warns six months before expiry; we renew inside the same window by default. */
export const DEFAULT_RENEW_BEFORE_DAYS = 182;

/**
 * Is a role due for re-signing at `now`: its `expires` inside the renewal window, or (given the policy's lifetime)
 * further away than a signature made under the policy can reach? The second case is a role another tool signed for
 * longer (notary's CLI writes three years): our own publishes re-sign it under the policy, so a recorded expiry beyond
 * it may already be stale. Re-signing it makes the recorded expiry a lower bound of the server's again (our publishes
 * only move it later), and renewal decisions made from state are then never late.
 */
export function isDue(expires: string | undefined, renewBeforeDays: number, now: Date = new Date(), lifetimeDays?: number): boolean {
  if (!expires) return false;
  // A window as long as the lifetime would re-sign on every run: never renew earlier than half-way through.
  const window = lifetimeDays ? Math.min(renewBeforeDays, lifetimeDays / 2) : renewBeforeDays;
  let at = expiresAt.get(expires);
  if (at === undefined) {
    try {
      at = parseGoTime(expires).getTime();
    } catch {
      return true;
    }
    if (expiresAt.size >= 256) expiresAt.clear();
    expiresAt.set(expires, at);
  }
  const left = at - now.getTime();
  if (lifetimeDays && left > (lifetimeDays + policySlackDays(lifetimeDays)) * DAY_MS) return true;
  return left < window * DAY_MS;
}

/** Calendar years are longer than 365 days (notary adds years), and clocks differ: 1% of the lifetime, at least a day. */
function policySlackDays(lifetimeDays: number): number {
  return Math.max(1, lifetimeDays / 100);
}

/** Parsed `expires` values: every resource of a repository asks about the same few. */
const expiresAt = new Map<string, number>();

/** Lifetime in days of a role re-signed under an expiry policy (notary's defaults otherwise). */
export function lifetimeDays(role: string, e: { rootDays?: number; targetsDays?: number; snapshotDays?: number; delegationDays?: number } | undefined): number {
  if (role === "root") return e?.rootDays ?? 3650;
  if (role === "snapshot") return e?.snapshotDays ?? 1095;
  if (role === "targets") return e?.targetsDays ?? 1095;
  return e?.delegationDays ?? e?.targetsDays ?? 1095;
}

/** Drop undefined values recursively: the host cannot marshal them (`Unexpected struct type.`). */
export function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
