/**
 * A SignedTag's provenance: the source repository, git commit, dirty flag and Dockerfile path of the image, signed
 * into the tag's target entry as notary's `custom` data. The role's keys sign it with the digest, so it is as
 * trustworthy as the digest; notary and docker read past it (they never show `custom`).
 *
 * The custom data uses the names image tools give these facts, so it reads like the image's own labels:
 *
 *     {"com.docker.image.source.entrypoint":"docker/Dockerfile","dev.pulumi-notary.dirty":false,
 *      "org.opencontainers.image.revision":"<commit>","org.opencontainers.image.source":"https://…"}
 *
 * Only the fields known are written; with none, the entry has no `custom` at all (as docker writes it). Values come
 * from the `provenance` input, else from the image when it is resolved in the registry: the manifest's (or index's)
 * annotations, then, for a single image manifest, its config's labels (what `BUILDX_GIT_LABELS=1` writes; a revision
 * ending in `-dirty`, buildx's mark of a dirty work tree, gives `revision` without it and `dirty: true`).
 */
import { canonicalJson } from "../../../sdk/src/index.ts";
import type { FileMeta, ResolvedImage } from "../../../sdk/src/index.ts";
import { isPlainObject } from "../../../sdk/src/metadata/validate-values.ts";
import { MEDIA_TYPES, type ResolveImageOptions } from "../../../sdk/src/remote/registry.ts";
import { fetchBlob } from "../../../sdk/src/remote/registry-blob.ts";
import { textProblem, type Provenance, type ProvenanceInput } from "../inputs/provenance.ts";

/** What a role holds: the provenance read from its custom data, and the rest of that data (canonical JSON), if any. */
export type HeldProvenance = Provenance & { otherCustom?: string };

export type ProvenanceInputs = {
  /** Given provenance: each field given wins over what the image says. */
  provenance?: ProvenanceInput;
  /** Set by `check` with the image's digest (a floating reference): what its annotations and labels say. */
  imageProvenance?: Provenance;
};
/** Absent from states written before provenance was signed: read as none. */
export type ProvenanceOutputs = {
  /** What the image said when it was resolved (`{}` when it was not). */
  imageProvenance?: Provenance;
  /** What was signed: the input over the image's. */
  signedProvenance?: Provenance;
  /** What the role holds now (refreshed by `read`). */
  serverProvenance?: HeldProvenance;
};

/** The custom data key of each field, which is also the image annotation or label it is read from. */
export const CUSTOM_KEYS = {
  source: "org.opencontainers.image.source",
  revision: "org.opencontainers.image.revision",
  dirty: "dev.pulumi-notary.dirty",
  dockerfile: "com.docker.image.source.entrypoint",
} as const;
const FIELDS = ["source", "revision", "dirty", "dockerfile"] as const;
const TEXT_FIELDS = ["source", "revision", "dockerfile"] as const;
type Field = (typeof FIELDS)[number];
const FIELD_OF_KEY = new Map<string, Field>(FIELDS.map((f) => [CUSTOM_KEYS[f], f]));

/** The known fields of `p`, in a fixed order (null and undefined dropped). */
function fieldsOf(p: ProvenanceInput | Provenance): Provenance {
  const out: Record<string, unknown> = {};
  for (const k of FIELDS) if (p?.[k] !== undefined && p[k] !== null) out[k] = p[k];
  return out as Provenance;
}

/** Each field given wins over the image's. */
export function mergeProvenance(given: ProvenanceInput, image: Provenance | undefined): Provenance {
  return fieldsOf({ ...fieldsOf(image), ...fieldsOf(given) });
}

/** The custom data that carries `p`; undefined when it has no field (the entry then has no `custom`). */
export function customOf(p: Provenance | undefined): Record<string, string | boolean> | undefined {
  const f = fieldsOf(p);
  const entries = FIELDS.flatMap((k) => (f[k] === undefined ? [] : [[CUSTOM_KEYS[k], f[k]] as const]));
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** Target file metadata carrying `p` as its custom data. */
export function withProvenance(meta: FileMeta, p: Provenance | undefined): FileMeta {
  const custom = customOf(p);
  return custom ? { ...meta, custom } : meta;
}

/** A target entry's custom data read back: the fields we know, and everything else as canonical JSON. */
export function provenanceOfCustom(custom: unknown): HeldProvenance {
  if (custom === undefined) return {};
  if (!isPlainObject(custom)) return { otherCustom: canonicalJson(custom, { mode: "verify" }) };
  const out: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(custom)) {
    const field = FIELD_OF_KEY.get(k);
    if (field !== undefined && typeof v === (field === "dirty" ? "boolean" : "string")) out[field] = v;
    else rest[k] = v;
  }
  const held: HeldProvenance = fieldsOf(out as Provenance);
  if (Object.keys(rest).length) held.otherCustom = canonicalJson(rest, { mode: "verify" });
  return held;
}

/** Whether two provenances (or held ones) are the same; undefined is none (states written before provenance). */
export function sameProvenance(a: HeldProvenance | undefined, b: HeldProvenance | undefined): boolean {
  const norm = (p: HeldProvenance | undefined) => canonicalJson({ ...fieldsOf(p), other: p?.otherCustom }, { mode: "verify" });
  return norm(a) === norm(b);
}

/** Whether two target entries carry the same custom data. */
export function sameCustom(a: FileMeta | undefined, b: FileMeta | undefined): boolean {
  return canonicalJson(a?.custom ?? null, { mode: "verify" }) === canonicalJson(b?.custom ?? null, { mode: "verify" });
}

/** The provenance outputs of a SignedTag: what the image said, what was signed, what the server holds. */
export function provenanceOutputs(inputs: ProvenanceInputs, image: Provenance | undefined, held: FileMeta | undefined): Required<ProvenanceOutputs> {
  return { imageProvenance: fieldsOf(image), signedProvenance: mergeProvenance(inputs.provenance, image), serverProvenance: provenanceOfCustom(held?.custom) };
}

type DiffSide = ProvenanceInputs & { image?: string; digest?: string; signedDigest?: string };

/**
 * The provenance a diff wants, without a request: the input over the image's, where the image's is what `check` just
 * read (a floating reference), nothing (no image resolved), or what was read for the manifest signed last time when
 * it is still the one wanted (a manifest's annotations and config are fixed by its digest). Undefined when not known.
 */
export function wantedProvenance(news: DiffSide, olds: DiffSide, wantDigest: string | undefined): Provenance | undefined {
  let image: Provenance | undefined;
  if (news.imageProvenance) image = news.imageProvenance;
  else if (!news.image || news.digest !== undefined) image = {};
  else if (wantDigest === olds.signedDigest && olds.image !== undefined && olds.digest === undefined) image = olds.imageProvenance ?? {};
  else return undefined;
  return mergeProvenance(news.provenance, image);
}

// ---------------------------------------------------------------------------------------------------------------------
// From the image

const SINGLE_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest]);
const CONFIG_TYPES: ReadonlySet<unknown> = new Set(["application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"]);

function stringsOf(v: unknown): Record<string, string> {
  if (!isPlainObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""));
}

/** Provenance from an image's annotations (first) and config labels; values that cannot be signed are `skipped`. */
export function provenanceFromImage(annotations: Record<string, string>, labels: Record<string, string>): { provenance: Provenance; skipped: string[] } {
  const out: Provenance = {};
  const skipped: string[] = [];
  for (const field of TEXT_FIELDS) {
    const key = CUSTOM_KEYS[field];
    let v = annotations[key] || labels[key];
    if (!v) continue;
    if (field === "revision" && v.endsWith("-dirty")) {
      v = v.slice(0, -"-dirty".length);
      out.dirty = true;
      if (!v) continue;
    }
    const why = textProblem(v);
    if (why) skipped.push(`${key} ${why}`);
    else out[field] = v;
  }
  return { provenance: fieldsOf(out), skipped };
}

function jsonOf(bytes: Uint8Array | undefined): Record<string, unknown> {
  try {
    const v: unknown = bytes ? JSON.parse(Buffer.from(bytes).toString("utf8")) : undefined;
    return isPlainObject(v) ? v : {};
  } catch {
    return {};
  }
}

/**
 * What a resolved image says of its provenance. A single image manifest's config is fetched (one request, its bytes
 * checked against the digest) for its labels; an index's platform images are not looked into (annotate the index).
 */
export async function readImageProvenance(img: ResolvedImage, opts: ResolveImageOptions): Promise<Provenance> {
  const manifest = jsonOf(img.manifestBytes);
  const config = isPlainObject(manifest["config"]) ? manifest["config"] : {};
  let labels: Record<string, string> = {};
  if (SINGLE_TYPES.has(img.mediaType) && CONFIG_TYPES.has(config["mediaType"]) && typeof config["digest"] === "string") {
    const body = jsonOf(await fetchBlob(img.name, config["digest"], opts));
    labels = stringsOf(isPlainObject(body["config"]) ? body["config"]["Labels"] : undefined);
  }
  const { provenance, skipped } = provenanceFromImage(stringsOf(manifest["annotations"]), labels);
  // The engine shows a provider's stderr as diagnostics.
  for (const s of skipped) console.error(`warning: ${img.name}@${img.digest}: provenance not signed: ${s}`);
  return provenance;
}
