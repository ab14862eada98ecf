/**
 * The classic multi-arch mistake: signing one platform's manifest (`repo@sha256:<amd64 manifest>`) for a tag whose
 * registry tag holds a manifest list. A trusted pull of the tag then gets that platform everywhere, or fails on the
 * others. A SignedTag warns of it; with `listsOnly` it refuses every manifest that is not a list or an OCI index.
 */
import { NotaryError, isNotaryError, parseImageReference, resolveImage } from "../../../sdk/src/index.ts";
import { MEDIA_TYPES, type ResolveImageOptions } from "../../../sdk/src/remote/registry.ts";
import { isUnknown } from "./common.ts";
import type { CheckFailure } from "./checks.ts";
import type { RegistryInput, SignedTagInputs } from "../inputs/signed-tag.ts";

export type PlatformInputs = Pick<SignedTagInputs, "tag" | "image" | "listsOnly" | "registry">;

const LIST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociIndex]);

/** How the registry is reached, from the resource's `registry` input (else docker's credentials for its host). */
export function registryOptions(r: RegistryInput = {}): ResolveImageOptions {
  return {
    ...(r.username && r.password ? { credentials: { kind: "basic", username: r.username, password: r.password, source: "registry input" } } : {}),
    ...(r.insecure !== undefined ? { insecure: r.insecure } : {}),
    ...(r.caPem ? { httpOptions: { ca: r.caPem } } : {}),
  };
}

type Checked = PlatformInputs & { digest?: string; resolvedDigest?: string; resolvedMediaType?: string };

/**
 * The check of a SignedTag's image, in its `check`: an image given by tag was just resolved (its media type is known,
 * and a request more is made only for a single-platform manifest); a pinned one is looked at when it, the tag or
 * listsOnly changed, so an unchanged pin still makes no request. A digest given directly is not looked at.
 */
export async function checkImageKind(olds: Partial<Checked> | undefined, news: Checked): Promise<{ failure?: CheckFailure; warning?: string }> {
  if (news.digest !== undefined || isUnknown(news)) return {};
  if (news.resolvedDigest && news.resolvedMediaType) {
    return checkPlatformManifest(news, { digest: news.resolvedDigest, mediaType: news.resolvedMediaType });
  }
  const same = olds && olds.image === news.image && olds.tag === news.tag && (olds.listsOnly ?? false) === (news.listsOnly ?? false);
  return same ? {} : checkPlatformManifest(news);
}

/** `{ failure }` refuses the input, `{ warning }` is printed; `{}` when the image is a list or stands alone. */
export async function checkPlatformManifest(inputs: PlatformInputs, resolved?: { digest: string; mediaType: string }): Promise<{ failure?: CheckFailure; warning?: string }> {
  if (!inputs.image || isUnknown(inputs.image) || isUnknown(inputs.tag) || isUnknown(inputs.listsOnly)) return {};
  const opts = registryOptions(inputs.registry);
  const image = resolved ?? (await resolveImage(inputs.image, opts));
  if (LIST_TYPES.has(image.mediaType)) return {};
  const ref = parseImageReference(inputs.image);
  // The image's own tag holds this manifest: no list to compare with, unless the tag signed is another one.
  const list = ref.tag === inputs.tag && !ref.digest ? undefined : await listHolding(`${ref.name}:${inputs.tag}`, image.digest, opts);
  const what = list
    ? `${image.digest} is the ${list.platform} manifest of the list ${list.digest} that ${ref.name}:${inputs.tag} holds in the registry`
    : `${image.digest} is a single-platform manifest (${image.mediaType})`;
  if (inputs.listsOnly) {
    const fix = list ? `sign the list (image "${ref.name}:${inputs.tag}" or "${ref.name}@${list.digest}")` : "sign a manifest list or OCI index";
    return { failure: { property: "image", reason: `${what}, and listsOnly is set: ${fix}, or drop listsOnly` } };
  }
  if (!list) return {};
  return {
    warning:
      `warning: SignedTag for tag "${inputs.tag}": ${what}; a trusted pull of "${inputs.tag}" gets ${list.platform} on every ` +
      `platform. Sign the list instead (image "${ref.name}:${inputs.tag}"), or set listsOnly to refuse this`,
  };
}

type ListEntry = { digest?: unknown; platform?: { os?: unknown; architecture?: unknown; variant?: unknown } };

/** The list `reference` resolves to, when it is one and names `digest` among its manifests. */
async function listHolding(reference: string, digest: string, opts: ResolveImageOptions): Promise<{ digest: string; platform: string } | undefined> {
  let found;
  try {
    found = await resolveImage(reference, opts);
  } catch (e) {
    if (isNotaryError(e, "HTTP_NOT_FOUND")) return undefined; // the tag is not in the registry: nothing to compare
    throw e;
  }
  if (!LIST_TYPES.has(found.mediaType) || !found.manifestBytes) return undefined;
  let entries: ListEntry[];
  try {
    entries = (JSON.parse(Buffer.from(found.manifestBytes).toString("utf8")) as { manifests?: ListEntry[] }).manifests ?? [];
  } catch (e) {
    throw new NotaryError("REGISTRY_ERROR", `the manifest list of ${reference} is not JSON`, { cause: e });
  }
  const entry = entries.find((m) => m.digest === digest);
  if (!entry) return undefined;
  const p = entry.platform ?? {};
  const platform = [p.os, p.architecture, p.variant].filter((x) => typeof x === "string" && x).join("/") || "unknown-platform";
  return { digest: found.digest, platform };
}
