/**
 * `verifyImage`: the digest of an image tag, only when its trust data (verified from a pinned root) signs it as a
 * policy requires. One verified read of the repository (NotaryClient), then the pure check of trust/verify-tag.ts.
 */
import { NotaryClient, type ServerOptions } from "./client.ts";
import { NotaryError } from "./errors.ts";
import { parseImageReference } from "./remote/registry.ts";
import { verifyTag, type TagPolicy, type VerifiedTag } from "./trust/verify-tag.ts";
import type { TrustAnchor } from "./trust/update.ts";

export type VerifyImageOptions = Pick<ServerOptions, "tls" | "timeoutMs" | "registryHost" | "dockerConfigDir" | "env" | "now"> & {
  /** Notary server URL, e.g. `https://notary.example.com:4443`. */
  url: string;
  /** `NAME:TAG` as docker takes it; `NAME:TAG@sha256:…` also requires that digest. */
  image: string;
  /**
   * The pinned root: `rootKeyIds` (the Root key ID `docker trust inspect` shows, or the root private key's ID),
   * `trustedRoot` or `trustedRootSha256`. Trust on first use is refused: it would verify nothing.
   */
  anchor: TrustAnchor;
  /** Who must sign, how many, and (optionally) which digest. Default: the tag is signed (docker's trusted pull). */
  policy?: TagPolicy;
  /** Credentials for the notary server; otherwise NOTARY_AUTH, then docker's config.json for the image's registry. */
  credentials?: Pick<ServerOptions, "username" | "password" | "identityToken">;
};

export type VerifiedImage = VerifiedTag & {
  /** `NAME@sha256:…` with NAME as given: the reference to deploy. */
  reference: string;
};

/**
 * Fetches the image's trust data, verifies it from the pinned root, and returns the digest the tag is signed to when
 * `policy` holds. Fails with VERIFICATION_FAILED (what was required, what each role signs, what to do) when it does
 * not, or with the read's own code (TRUST_ROOT_MISMATCH, METADATA_EXPIRED, HTTP_…).
 *
 * @example
 * const { reference } = await verifyImage({
 *   url: "https://notary.example.com:4443",
 *   image: "registry.example.com/team/app:v1",
 *   anchor: { rootKeyIds: ["5b0216a4…"] },
 *   policy: { signers: ["alice", "bob"], threshold: 2 },
 * }); // "registry.example.com/team/app@sha256:…"
 */
export async function verifyImage(opts: VerifyImageOptions): Promise<VerifiedImage> {
  const ref = parseImageReference(opts.image);
  if (ref.tag === undefined) {
    throw new NotaryError("INPUT_INVALID", `image ${JSON.stringify(opts.image)}: give the tag to verify (NAME:TAG); trust data is looked up by tag`, {
      details: { field: "image" },
    });
  }
  const a = opts.anchor ?? {};
  if (!a.trustedRoot && !a.trustedRootSha256 && !(a.rootKeyIds && a.rootKeyIds.length > 0)) {
    throw new NotaryError("TRUST_NO_ANCHOR", `verifying ${opts.image} needs a pinned root: rootKeyIds (the Root key ID docker trust inspect shows), trustedRoot or trustedRootSha256`, {
      details: { gun: ref.gun },
    });
  }
  const policy = ref.digest === undefined ? opts.policy : { ...opts.policy, digest: mergedDigest(ref.digest, opts.policy?.digest) };
  const anchor: TrustAnchor = {
    ...(a.trustedRoot ? { trustedRoot: a.trustedRoot } : {}),
    ...(a.trustedRootSha256 ? { trustedRootSha256: a.trustedRootSha256 } : {}),
    ...(a.rootKeyIds?.length ? { rootKeyIds: a.rootKeyIds } : {}),
  };
  const client = new NotaryClient({
    url: opts.url,
    registryHost: opts.registryHost ?? ref.registry,
    ...pick(opts, ["tls", "timeoutMs", "dockerConfigDir", "env", "now"]),
    ...pick(opts.credentials ?? {}, ["username", "password", "identityToken"]),
  });
  try {
    const state = await client.repository(ref.gun, { anchor }).fetch();
    const verified = verifyTag(state, ref.tag, policy);
    return { ...verified, reference: `${nameAsGiven(opts.image)}@${verified.digest}` };
  } finally {
    await client.close();
  }
}

function mergedDigest(inImage: string, inPolicy: string | undefined): string {
  if (inPolicy !== undefined && inPolicy.toLowerCase() !== inImage.toLowerCase()) {
    throw new NotaryError("INPUT_INVALID", `the image pins ${inImage} but policy.digest is ${inPolicy}: give one digest`, { details: { field: "policy.digest" } });
  }
  return inImage;
}

/** `registry.example.com/team/app:v1@sha256:…` → `registry.example.com/team/app` (a registry port is not a tag). */
export function nameAsGiven(image: string): string {
  const at = image.indexOf("@");
  const rest = at === -1 ? image : image.slice(0, at);
  const colon = rest.lastIndexOf(":");
  return colon > rest.lastIndexOf("/") ? rest.slice(0, colon) : rest;
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
