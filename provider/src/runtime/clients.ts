/**
 * The per-process client cache: every resource of one `pulumi` command shares connections, verified state and the
 * publish queue of each GUN; and the rollback floor each resource's saved versions give its reads.
 */
import { createHash } from "node:crypto";
import { NotaryClient, NotaryError, isNotaryError, type Repository as SdkRepository, type ServerOptions, type RepoState, type ReadOptions } from "../../../sdk/src/index.ts";
import { reportingProgress } from "./progress.ts";
import { dropEmpty, serverOptions, type ProviderConfig } from "./config.ts";
import type { ServerInput } from "../inputs/fields.ts";

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
        `${e.message}. The RepositoryStatus resource of ${repo.gun} (\`<repository>-status\`) renews it on \`pulumi up\` ` +
          `(target it alone, \`pulumi up --target <its URN>\`, when other resources stop first)`,
        { cause: e, details: { ...e.details, gun: repo.gun } },
      );
    }
    throw e;
  }
}

