/**
 * Manifest resolution against an OCI / Docker v2 registry: tag or digest → digest, size and media type, with the
 * manifest bytes checked against the digest. References are parsed by registry-ref.ts.
 */
import { createHash } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { fromUtf8 } from "../encoding.ts";
import { createHttpClient } from "./http.ts";
import type { HttpClient, HttpClientOptions, HttpResponse } from "./http-types.ts";
import { Authenticator } from "./auth.ts";
import { resolveCredentials, type Credentials } from "./credentials.ts";
import { formatImageReference, parseImageReference, registryBaseUrl, type ImageReference } from "./registry-ref.ts";

export { DEFAULT_REGISTRY, formatImageReference, isLoopbackHost, parseImageReference, registryBaseUrl } from "./registry-ref.ts";
export type { ImageReference } from "./registry-ref.ts";

export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
].join(", ");

/** Distribution refuses manifests above 4 MiB; so do we. */
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ResolveImageOptions {
  /** HTTP client to use (shared keep-alive connections). Default: a new one, closed afterwards. */
  http?: HttpClient;
  /** Options for the client created when `http` is not given (CA, client certificate, time-out). */
  httpOptions?: HttpClientOptions;
  /** Authenticator to reuse (token cache). Default: one built from the credential options below. */
  auth?: Authenticator;
  /** Explicit registry credentials. Otherwise docker's config.json / credential helpers for the registry host. */
  credentials?: Credentials;
  env?: Record<string, string | undefined>;
  dockerConfigDir?: string;
  /** Plain HTTP even for a non-loopback registry. */
  insecure?: boolean;
  /** Base URL to talk to instead of the one derived from the registry host (mirrors, tests). */
  registryUrl?: string;
  maxManifestBytes?: number;
  /**
   * `GET` (default) downloads the manifest and checks its digest. `HEAD` only reads the registry's
   * `Docker-Content-Digest`, `Content-Length` and `Content-Type` headers, unverified; it falls back to GET when the
   * registry does not send the digest.
   */
  method?: "GET" | "HEAD";
}

export interface ResolvedImage {
  registry: string;
  repository: string;
  /** The GUN: `registry/repository`. */
  name: string;
  /** The tag asked for (`latest` when the reference had neither tag nor digest). */
  tag?: string;
  /** `sha256:<hex>` (or the algorithm of the digest asked for). */
  digest: string;
  /** Manifest size in bytes. */
  size: number;
  mediaType: string;
  /** The exact manifest bytes (absent with `method: "HEAD"`). */
  manifestBytes?: Uint8Array;
}

const HEADER_DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function digestOf(alg: string, bytes: Uint8Array): string {
  return `${alg}:${createHash(alg).update(bytes).digest("hex")}`;
}

function summary(res: HttpResponse): string {
  try {
    const text = fromUtf8(res.body.subarray(0, 2048));
    try {
      const j = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
      if (Array.isArray(j.errors)) {
        const parts = j.errors
          .map((e) => [e.code, e.message].filter((x) => typeof x === "string").join(": "))
          .filter((x) => x !== "");
        if (parts.length > 0) return parts.join("; ").slice(0, 300);
      }
    } catch {
      /* not JSON */
    }
    return text.replace(/\s+/g, " ").trim().slice(0, 200);
  } catch {
    return "";
  }
}

function mediaTypeOf(body: Uint8Array | undefined, contentType: string | undefined): string {
  if (body !== undefined && body.length > 0) {
    try {
      const j = JSON.parse(fromUtf8(body)) as { mediaType?: unknown };
      if (typeof j.mediaType === "string" && j.mediaType !== "") return j.mediaType;
    } catch {
      /* fall through to the header */
    }
  }
  const ct = contentType?.split(";")[0]?.trim();
  return ct !== undefined && ct !== "" ? ct : "application/octet-stream";
}

/**
 * How to reach an image's registry: its base URL, the HTTP client (the caller's, or a new one the caller closes when
 * `opts.http` is not given) and the authenticator (the caller's, or one with docker's credentials for the host).
 */
export function registryAccess(ref: ImageReference, opts: ResolveImageOptions): { base: string; http: HttpClient; auth: Authenticator } {
  const base = (opts.registryUrl ?? registryBaseUrl(ref.registry, opts.insecure === undefined ? {} : { insecure: opts.insecure })).replace(/\/+$/, "");
  const http = opts.http ?? createHttpClient(opts.httpOptions ?? {});
  const auth =
    opts.auth ??
    new Authenticator({
      credentials:
        opts.credentials ??
        (() =>
          resolveCredentials({
            serverUrl: base,
            registryHost: ref.registry,
            skipNotaryAuth: true,
            ...(opts.env === undefined ? {} : { env: opts.env }),
            ...(opts.dockerConfigDir === undefined ? {} : { dockerConfigDir: opts.dockerConfigDir }),
          })),
    });
  return { base, http, auth };
}

/** What to ask the registry for: the manifest URL, the reference as the user gave it (for messages), the tag. */
interface ManifestTarget {
  ref: ImageReference;
  /** The tag asked for: `latest` when the reference had neither tag nor digest. */
  tag: string | undefined;
  url: string;
  where: string;
}

function manifestTarget(ref: ImageReference, base: string): ManifestTarget {
  const tag = ref.tag ?? (ref.digest === undefined ? "latest" : undefined);
  const url = `${base}/v2/${ref.repository}/manifests/${ref.digest ?? tag!}`;
  const where = formatImageReference({ name: ref.name, ...(tag === undefined ? {} : { tag }), ...(ref.digest === undefined ? {} : { digest: ref.digest }) });
  return { ref, tag, url, where };
}

/** `GET`/`HEAD /v2/<repo>/manifests/<ref>` with pull access; anything but 200 is HTTP_NOT_FOUND or REGISTRY_ERROR. */
async function fetchManifest(http: HttpClient, auth: Authenticator, t: ManifestTarget, method: "GET" | "HEAD", maxBytes: number): Promise<HttpResponse> {
  const scope = { repository: t.ref.repository, actions: "pull" };
  const res = await auth.request(http, { method, url: t.url, headers: { Accept: MANIFEST_ACCEPT }, maxBytes }, { scope });
  if (res.status === 200) return res;
  const registry = t.ref.registry;
  if (res.status === 404) {
    throw new NotaryError("HTTP_NOT_FOUND", `manifest for ${t.where} was not found in registry ${registry}${method === "GET" && summary(res) ? ` (${summary(res)})` : ""}`, {
      details: { status: 404, reference: t.where, registry },
    });
  }
  throw new NotaryError("REGISTRY_ERROR", `registry ${registry} answered HTTP ${res.status} for ${t.where}${summary(res) ? `: ${summary(res)}` : ""}`, {
    details: { status: res.status, reference: t.where, registry },
  });
}

/** A HEAD answer's digest, size and type (unverified), or undefined when the registry did not send them. */
function fromHeaders(t: ManifestTarget, res: HttpResponse): { digest: string; size: number; mediaType: string } | undefined {
  const headerDigest = res.headers["docker-content-digest"];
  const length = res.headers["content-length"];
  const digest = t.ref.digest ?? (headerDigest !== undefined && HEADER_DIGEST_RE.test(headerDigest) ? headerDigest : undefined);
  if (digest === undefined || length === undefined || !/^\d+$/.test(length)) return undefined;
  if (t.ref.digest !== undefined && headerDigest !== undefined && headerDigest !== t.ref.digest) {
    throw mismatch(t.where, t.ref.digest, headerDigest, "the registry's Docker-Content-Digest header");
  }
  return { digest, size: Number(length), mediaType: mediaTypeOf(undefined, res.headers["content-type"]) };
}

/**
 * The digest of the manifest bytes, checked: by digest against the one asked for, by tag against the registry's
 * `Docker-Content-Digest` when sent (else the sha256 of the bytes).
 */
function verifiedDigest(t: ManifestTarget, res: HttpResponse): string {
  const body = res.body;
  const headerDigest = res.headers["docker-content-digest"];
  if (t.ref.digest !== undefined) {
    const alg = t.ref.digest.slice(0, t.ref.digest.indexOf(":"));
    if (alg !== "sha256" && alg !== "sha512") {
      throw new NotaryError("REFERENCE_INVALID", `cannot verify a ${alg} digest (only sha256 and sha512)`, { details: { reference: t.where } });
    }
    const actual = digestOf(alg, body);
    if (actual !== t.ref.digest) throw mismatch(t.where, t.ref.digest, actual, "the digest asked for");
    return t.ref.digest;
  }
  if (headerDigest === undefined || headerDigest === "") return digestOf("sha256", body);
  if (!HEADER_DIGEST_RE.test(headerDigest)) {
    throw new NotaryError("REGISTRY_ERROR", `registry ${t.ref.registry} sent a malformed Docker-Content-Digest for ${t.where}`, {
      details: { reference: t.where, registry: t.ref.registry },
    });
  }
  const actual = digestOf(headerDigest.slice(0, headerDigest.indexOf(":")), body);
  if (actual !== headerDigest) throw mismatch(t.where, headerDigest, actual, "the registry's Docker-Content-Digest header");
  return headerDigest;
}

/**
 * Resolves a tag or digest to the manifest's digest, size and media type (`GET /v2/<repo>/manifests/<ref>`, Accept:
 * Docker v2 manifest and list, OCI manifest and index). The bytes are hashed: by digest they must match the digest
 * asked for; by tag they must match the registry's `Docker-Content-Digest` (when sent). Otherwise
 * `REGISTRY_DIGEST_MISMATCH`.
 *
 * @example
 * const img = await resolveImage("127.0.0.1:5000/team/app:v1");  // { digest: "sha256:…", size, mediaType, … }
 */
export async function resolveImage(reference: string, opts: ResolveImageOptions = {}): Promise<ResolvedImage> {
  const ref = parseImageReference(reference);
  const { base, http, auth } = registryAccess(ref, opts);
  const t = manifestTarget(ref, base);
  const maxBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const info = { registry: ref.registry, repository: ref.repository, name: ref.name, ...(t.tag === undefined ? {} : { tag: t.tag }) };
  try {
    if (opts.method === "HEAD") {
      const head = fromHeaders(t, await fetchManifest(http, auth, t, "HEAD", maxBytes));
      if (head !== undefined) return { ...info, ...head };
    }
    const res = await fetchManifest(http, auth, t, "GET", maxBytes);
    const digest = verifiedDigest(t, res);
    return { ...info, digest, size: res.body.length, mediaType: mediaTypeOf(res.body, res.headers["content-type"]), manifestBytes: res.body };
  } finally {
    if (opts.http === undefined) await http.close();
  }
}

function mismatch(where: string, expected: string, actual: string, what: string): NotaryError {
  return new NotaryError(
    "REGISTRY_DIGEST_MISMATCH",
    `the manifest the registry returned for ${where} hashes to ${actual}, which does not match ${what} (${expected})`,
    { details: { reference: where, expected, actual } },
  );
}
