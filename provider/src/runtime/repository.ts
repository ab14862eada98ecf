/**
 * Repository: one GUN's trust data. Create initializes it (or adopts existing trust data whose root key is ours);
 * update rotates keys, applies expiry policy changes and renews roles before they expire.
 */
import { createHash } from "node:crypto";
import {
  NotaryError,
  keyToJson,
  keyJsonId,
  publicKeyFromCertificatePem,
  createRootCertificate,
  DEFAULT_EXPIRY_MS,
  type Change,
  type PrivateKey,
  type RepoState,
} from "../../../sdk/src/index.ts";
import { canonicalKeyIdOfJson } from "../../../sdk/src/crypto/keys.ts";
import {
  renewBefore,
  expiryPolicy,
  isDue,
  isUnknown,
  parsePrivateKey,
  plain,
  repositoryFor,
  type ProviderConfig,
  stateOf,
  lifetimeDays,
} from "./common.ts";
import type { DiffResult } from "./checks.ts";
import type { ExpiryInput } from "../inputs/fields.ts";
import type { RepositoryInputs } from "../inputs/repository.ts";
import { say } from "./progress.ts";

export type RepositoryOutputs = RepositoryInputs & {
  serverUrl: string;
  rootKeyId: string;
  rootCanonicalKeyId: string;
  rootCertificate: string;
  targetsKeyId: string;
  snapshotKeyId: string;
  timestampKeyId: string;
  snapshotManagedBy: "server" | "client";
  /** base64 of the root.json every other resource verifies the server against. */
  trustedRoot: string;
  /** sha256 (hex) of that root.json: what dependent resources pin (64 characters in their state instead of the file). */
  trustedRootSha256: string;
  expiryPolicy: ExpiryInput;
  /**
   * The versions this resource verified at its own last operation: the floor of its later reads, never a claim about
   * the server now (other resources re-sign these roles after it runs; the RepositoryStatus records what the server
   * holds after the whole command). State written before this field was `versions` (read as the floor too).
   */
  verified: { root: number; targets: number; snapshot: number; timestamp: number };
};

/** The floor a Repository's state gives its reads (`versions` in state written by earlier releases). */
function floorOf(olds: RepositoryOutputs): RepositoryOutputs["verified"] | undefined {
  return olds.verified ?? (olds as { versions?: RepositoryOutputs["verified"] }).versions;
}

/**
 * Renewals are not planned here: this resource runs before the resources that re-sign its roles, so its own record of
 * their expiries lags. The RepositoryStatus, which runs after them, plans them (status.ts); an update of this
 * resource made for another reason still renews what is due on the server.
 */
export function diffRepository(olds: RepositoryOutputs, news: RepositoryInputs, config: ProviderConfig): DiffResult {
  const replaces: string[] = [];
  if (news.gun !== olds.gun) replaces.push("gun");
  const newUrl = news.server?.url ?? config.url;
  if (newUrl !== undefined && !isUnknown(newUrl) && olds.serverUrl && newUrl.replace(/\/+$/, "") !== olds.serverUrl) replaces.push("server");
  if (replaces.length) return { changes: true, replaces, deleteBeforeReplace: true };
  if (isUnknown(news)) return { changes: true };
  const wants = desiredKeyIds(news);
  const changed =
    wants.root !== olds.rootCanonicalKeyId ||
    wants.targets !== olds.targetsKeyId ||
    (wants.snapshot ? wants.snapshot !== olds.snapshotKeyId : olds.snapshotManagedBy !== "server") ||
    JSON.stringify(news.expiry ?? {}) !== JSON.stringify(olds.expiry ?? {}) ||
    (news.deleteOnDestroy ?? false) !== (olds.deleteOnDestroy ?? false) ||
    (news.renewBeforeDays ?? null) !== (olds.renewBeforeDays ?? null);
  return { changes: changed };
}

function desiredKeyIds(i: RepositoryInputs): { root: string; targets: string; snapshot?: string } {
  return {
    root: parsePrivateKey(i.rootKey, "rootKey").id,
    targets: parsePrivateKey(i.targetsKey, "targetsKey").id,
    ...(i.snapshotKey ? { snapshot: parsePrivateKey(i.snapshotKey, "snapshotKey").id } : {}),
  };
}

export function repositoryOutputs(inputs: RepositoryInputs, state: RepoState, serverUrl: string, rootCertificate: string): RepositoryOutputs {
  const root = state.root.signed;
  const first = (r: string) => root.roles[r]!.keyids[0]!;
  const rootId = first("root");
  const targets = state.roles.get("targets")!.file.signed;
  return plain({
    ...inputs,
    serverUrl,
    rootKeyId: rootId,
    rootCanonicalKeyId: canonicalKeyIdOfJson(root.keys[rootId]!),
    rootCertificate,
    targetsKeyId: first("targets"),
    snapshotKeyId: first("snapshot"),
    timestampKeyId: first("timestamp"),
    snapshotManagedBy: (inputs.snapshotKey ? "client" : "server") as "client" | "server",
    trustedRoot: Buffer.from(state.root.bytes).toString("base64"),
    trustedRootSha256: createHash("sha256").update(state.root.bytes).digest("hex"),
    expiryPolicy: inputs.expiry ?? {},
    verified: {
      root: root.version,
      targets: targets.version,
      snapshot: state.snapshot.signed.version,
      timestamp: state.timestamp.signed.version,
    },
  });
}

function rootCertOf(state: RepoState): string {
  const root = state.root.signed;
  const id = root.roles["root"]!.keyids[0]!;
  return Buffer.from(root.keys[id]!.keyval.public, "base64").toString("utf8");
}

/** The changes that make the server's root/targets/snapshot keys and expiries what the inputs declare. */
async function reconcile(
  repo: ReturnType<typeof repositoryFor>,
  state: RepoState,
  keys: { root: PrivateKey; targets: PrivateKey; snapshot?: PrivateKey; oldRoot?: PrivateKey },
  opts: { renewBeforeDays: number; forceWitness: boolean; now: Date; expiry: ExpiryInput | undefined },
): Promise<{ changes: Change[]; signing: PrivateKey[]; rootCertificate: string }> {
  const root = state.root.signed;
  const changes: Change[] = [];
  const signing: PrivateKey[] = [keys.root, keys.targets];
  if (keys.snapshot) signing.push(keys.snapshot);
  let rootCertificate = rootCertOf(state);
  const currentRootCanonical = canonicalKeyIdOfJson(root.keys[root.roles["root"]!.keyids[0]!]!);
  if (currentRootCanonical !== keys.root.id) {
    const old = keys.oldRoot && keys.oldRoot.id === currentRootCanonical ? keys.oldRoot : undefined;
    if (!old) {
      throw new NotaryError(
        "TRUST_ROOT_MISMATCH",
        `the root of ${state.gun} is held by key ${currentRootCanonical} (certificate ${root.roles["root"]!.keyids[0]}), ` +
          `not by the declared rootKey ${keys.root.id}, and the previous root key is not available to sign a rotation; ` +
          `set rootKey to the key that signs the current root, then change it to rotate`,
        { details: { gun: state.gun, expected: keys.root.id, found: currentRootCanonical } },
      );
    }
    signing.push(old);
    const now = opts.now;
    rootCertificate = createRootCertificate({
      gun: state.gun,
      privateKeyPkcs8: keys.root.exportPkcs8(),
      notBefore: now,
      notAfter: new Date(now.getTime() + DEFAULT_EXPIRY_MS.root),
    });
    changes.push({ type: "rotateKey", role: "root", keys: [keyToJson(publicKeyFromCertificatePem(rootCertificate))] });
  }
  if (root.roles["targets"]!.keyids[0] !== keys.targets.id || root.roles["targets"]!.keyids.length !== 1) {
    changes.push({ type: "rotateKey", role: "targets", keys: [keyToJson(keys.targets.publicKey)] });
  }
  const snapIds = root.roles["snapshot"]!.keyids;
  if (keys.snapshot) {
    if (snapIds.length !== 1 || snapIds[0] !== keys.snapshot.id) {
      changes.push({ type: "rotateKey", role: "snapshot", keys: [keyToJson(keys.snapshot.publicKey)] });
    }
  } else {
    // Server-managed: the server's snapshot key must be the one root lists (GET returns it when it holds it).
    const serverKey = await repo.server.getServerKey("snapshot");
    if (snapIds.length !== 1 || snapIds[0] !== keyJsonId(serverKey)) changes.push({ type: "rotateKey", role: "snapshot", keys: [serverKey] });
  }
  const o = { expires: { root: root.expires, targets: state.roles.get("targets")!.file.signed.expires, snapshot: state.snapshot.signed.expires } };
  for (const role of ["root", "targets"] as const) {
    if (opts.forceWitness || isDue(o.expires[role], opts.renewBeforeDays, opts.now, lifetimeDays(role, opts.expiry))) changes.push({ type: "witness", role });
  }
  if (keys.snapshot && (opts.forceWitness || isDue(o.expires.snapshot, opts.renewBeforeDays, opts.now, lifetimeDays("snapshot", opts.expiry)))) {
    changes.push({ type: "witness", role: "snapshot" });
  }
  const renewed = changes.flatMap((c) => (c.type === "witness" ? [`${c.role} (expires ${o.expires[c.role as keyof typeof o.expires]})`] : []));
  if (renewed.length) say(`re-signing ${renewed.join(", ")} of ${state.gun}${opts.forceWitness ? " under the new expiry policy" : ""}`);
  return { changes, signing, rootCertificate };
}

export async function createRepository(config: ProviderConfig, inputs: RepositoryInputs): Promise<{ id: string; outs: RepositoryOutputs }> {
  const keys = {
    root: parsePrivateKey(inputs.rootKey, "rootKey"),
    targets: parsePrivateKey(inputs.targetsKey, "targetsKey"),
    ...(inputs.snapshotKey ? { snapshot: parsePrivateKey(inputs.snapshotKey, "snapshotKey") } : {}),
  };
  const repo = repositoryFor(config, inputs.server, inputs.gun, { rootKeyIds: [keys.root.id] });
  repo.configure({ expiry: expiryPolicy(inputs.expiry) });
  const serverUrl = repo.server.baseUrl;
  let rootCertificate: string;
  // One verified read anchored on our root key: none means initialize; one whose root is not ours is refused (the
  // error names both key IDs); one whose root is ours is adopted.
  repo.reset({ rootKeyIds: [keys.root.id] });
  // An expired targets is adopted too: reconcile renews it (notary cannot: every publish then fails "targets expired").
  let state = await stateOf(repo, { allowExpiredTargets: true });
  if (state) {
    const r = await reconcile(repo, state, keys, { renewBeforeDays: renewBefore(inputs, config), forceWitness: false, now: new Date(), expiry: inputs.expiry });
    rootCertificate = r.rootCertificate;
    if (r.changes.length) state = (await repo.publish(r.changes, { keys: r.signing })).state;
  } else {
    state = await repo.initialize({ rootKey: keys.root, targetsKey: keys.targets, snapshotKey: keys.snapshot ?? "server" });
    rootCertificate = rootCertOf(state);
  }
  return { id: inputs.gun, outs: repositoryOutputs(inputs, state, serverUrl, rootCertificate) };
}

export async function updateRepository(config: ProviderConfig, olds: RepositoryOutputs, inputs: RepositoryInputs): Promise<RepositoryOutputs> {
  const keys = {
    root: parsePrivateKey(inputs.rootKey, "rootKey"),
    targets: parsePrivateKey(inputs.targetsKey, "targetsKey"),
    ...(inputs.snapshotKey ? { snapshot: parsePrivateKey(inputs.snapshotKey, "snapshotKey") } : {}),
    ...(olds.rootKey ? { oldRoot: parsePrivateKey(olds.rootKey, "rootKey") } : {}),
  };
  const repo = repositoryFor(config, inputs.server, inputs.gun, { trustedRoot: olds.trustedRoot }, floorOf(olds));
  repo.configure({ expiry: expiryPolicy(inputs.expiry) });
  let state = await repo.current({ allowExpiredTargets: true });
  const policyChanged = JSON.stringify(inputs.expiry ?? {}) !== JSON.stringify(olds.expiry ?? {});
  const r = await reconcile(repo, state, keys, {
    renewBeforeDays: renewBefore(inputs, config),
    forceWitness: policyChanged,
    now: new Date(),
    expiry: inputs.expiry,
  });
  if (r.changes.length) state = (await repo.publish(r.changes, { keys: r.signing })).state;
  return repositoryOutputs(inputs, state, repo.server.baseUrl, r.rootCertificate);
}

/** Refresh: what the server verifiably holds now; undefined when the trust data is gone. */
export async function readRepository(config: ProviderConfig, olds: RepositoryOutputs): Promise<RepositoryOutputs | undefined> {
  const repo = repositoryFor(config, olds.server, olds.gun, { trustedRoot: olds.trustedRoot }, floorOf(olds));
  // An expired targets shows as such (roleExpires in the past), so that the next `up` renews it.
  const state = await stateOf(repo, { allowExpiredTargets: true });
  if (!state) return undefined;
  const outs = repositoryOutputs(olds, state, repo.server.baseUrl, rootCertOf(state));
  // `verified` is what this resource's own last operation verified: a refresh is not a write (the status reads after).
  return { ...outs, verified: olds.verified ?? outs.verified };
}

export async function deleteRepository(config: ProviderConfig, olds: RepositoryOutputs): Promise<void> {
  if (!olds.deleteOnDestroy) return;
  const repo = repositoryFor(config, olds.server, olds.gun, { trustedRoot: olds.trustedRoot }, floorOf(olds));
  await repo.delete();
}

