/**
 * Image references (docker's normalisation, giving the GUN notary uses) and manifest resolution against an OCI /
 * Docker v2 registry: tag or digest → digest, size and media type, with the manifest bytes checked against the digest.
 */
import { createHash } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { fromUtf8 } from "../encoding.ts";
import { createHttpClient } from "./http.ts";
import type { HttpClient, HttpClientOptions, HttpResponse } from "./http.ts";
import { Authenticator, resolveCredentials } from "./auth.ts";
import type { Credentials } from "./auth.ts";
import { DOMAIN_RE, IDENTIFIER_RE, NAME_TOTAL_LENGTH_MAX, PATH_RE } from "../metadata/gun.ts";

// ---------------------------------------------------------------------------------------------------------------------
// References (distribution/reference grammar, docker's ParseNormalizedNamed)

export const DEFAULT_REGISTRY = "docker.io";
const LEGACY_DEFAULT_REGISTRY = "index.docker.io";
const DOCKER_HUB_API_HOST = "registry-1.docker.io";
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export interface ImageReference {
  /** Registry host as docker names it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/alpine`, `team/app`. */
  repository: string;
  /** Fully normalised name, `registry/repository`: the GUN docker uses with notary. */
  name: string;
  /** Same as `name`. */
  gun: string;
  tag?: string;
  /** `algorithm:hex`, as given. */
  digest?: string;
}

function invalid(ref: string, why: string): NotaryError {
  return new NotaryError("REFERENCE_INVALID", `invalid image reference ${JSON.stringify(ref.slice(0, 300))}: ${why}`, {
    details: { reference: ref.slice(0, 300) },
  });
}

/**
 * Parses an image reference the way docker does (`ParseNormalizedNamed`): `alpine` → `docker.io/library/alpine`,
 * `user/app` → `docker.io/user/app`, a first component with `.` or `:` (or `localhost`, or upper case) is a registry
 * host, then `:tag`, `@sha256:…`, or both (`name:tag@sha256:…`, as `Image.repoDigest` gives).
 *
 * @example
 * parseImageReference("alpine:3.19").gun            // "docker.io/library/alpine"
 * parseImageReference("127.0.0.1:5000/team/app@sha256:…").registry  // "127.0.0.1:5000"
 */
export function parseImageReference(ref: string): ImageReference {
  if (typeof ref !== "string" || ref === "") throw invalid(String(ref), "empty reference");
  if (ref !== ref.trim()) throw invalid(ref, "leading or trailing whitespace");
  if (IDENTIFIER_RE.test(ref)) throw invalid(ref, "a 64-character hex string is an image ID, not a repository name");

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(ref, `bad digest ${JSON.stringify(digest)}`);
    const [alg, hex] = digest.split(":") as [string, string];
    if (alg === "sha256" && !/^[a-f0-9]{64}$/.test(hex)) throw invalid(ref, "sha256 digests have 64 lower-case hex digits");
    if (alg === "sha512" && !/^[a-f0-9]{128}$/.test(hex)) throw invalid(ref, "sha512 digests have 128 lower-case hex digits");
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw invalid(ref, `bad tag ${JSON.stringify(tag)}`);
  }
  if (rest === "") throw invalid(ref, "no repository name");

  // splitDockerDomain
  let registry: string;
  let repository: string;
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    registry = DEFAULT_REGISTRY;
    repository = rest;
  } else {
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) repository = `library/${repository}`;

  if (repository.toLowerCase() !== repository) throw invalid(ref, "repository name must be lowercase");
  if (!DOMAIN_RE.test(registry)) throw invalid(ref, `bad registry host ${JSON.stringify(registry)}`);
  if (!PATH_RE.test(repository)) throw invalid(ref, `bad repository path ${JSON.stringify(repository)}`);
  const name = `${registry}/${repository}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw invalid(ref, `name longer than ${NAME_TOTAL_LENGTH_MAX} characters`);

  const out: ImageReference = { registry, repository, name, gun: name };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** `name[:tag][@digest]`. */
export function formatImageReference(r: Pick<ImageReference, "name" | "tag" | "digest">): string {
  return `${r.name}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}

/** True for hosts docker treats as local (`localhost`, 127.0.0.0/8, `::1`): plain HTTP is used for them. */
export function isLoopbackHost(hostWithPort: string): boolean {
  let host = hostWithPort;
  if (host.startsWith("[")) host = host.slice(1, host.indexOf("]"));
  else if (host.includes(":")) host = host.slice(0, host.lastIndexOf(":"));
  host = host.toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Base URL of a registry's API: `https://registry-1.docker.io` for docker.io, `http://` for loopback or `insecure`. */
export function registryBaseUrl(registry: string, opts: { insecure?: boolean } = {}): string {
  if (registry === DEFAULT_REGISTRY) return `https://${DOCKER_HUB_API_HOST}`;
  const scheme = opts.insecure === true || isLoopbackHost(registry) ? "http" : "https";
  return `${scheme}://${registry}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Resolution

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
  const tag = ref.tag ?? (ref.digest === undefined ? "latest" : undefined);
  const target = ref.digest ?? tag!;
  const url = `${base}/v2/${ref.repository}/manifests/${target}`;
  const scope = { repository: ref.repository, actions: "pull" };
  const maxBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const where = `${formatImageReference({ name: ref.name, ...(tag === undefined ? {} : { tag }), ...(ref.digest === undefined ? {} : { digest: ref.digest }) })}`;

  const fetch = async (method: "GET" | "HEAD"): Promise<HttpResponse> => {
    const res = await auth.request(http, { method, url, headers: { Accept: MANIFEST_ACCEPT }, maxBytes }, { scope });
    if (res.status === 200) return res;
    if (res.status === 404) {
      throw new NotaryError("HTTP_NOT_FOUND", `manifest for ${where} was not found in registry ${ref.registry}${method === "GET" && summary(res) ? ` (${summary(res)})` : ""}`, {
        details: { status: 404, reference: where, registry: ref.registry },
      });
    }
    throw new NotaryError("REGISTRY_ERROR", `registry ${ref.registry} answered HTTP ${res.status} for ${where}${summary(res) ? `: ${summary(res)}` : ""}`, {
      details: { status: res.status, reference: where, registry: ref.registry },
    });
  };

  try {
    const info: Omit<ResolvedImage, "digest" | "size" | "mediaType"> = {
      registry: ref.registry,
      repository: ref.repository,
      name: ref.name,
      ...(tag === undefined ? {} : { tag }),
    };
    if (opts.method === "HEAD") {
      const res = await fetch("HEAD");
      const headerDigest = res.headers["docker-content-digest"];
      const length = res.headers["content-length"];
      const digest = ref.digest ?? (headerDigest !== undefined && HEADER_DIGEST_RE.test(headerDigest) ? headerDigest : undefined);
      if (digest !== undefined && length !== undefined && /^\d+$/.test(length)) {
        if (ref.digest !== undefined && headerDigest !== undefined && headerDigest !== ref.digest) {
          throw mismatch(where, ref.digest, headerDigest, "the registry's Docker-Content-Digest header");
        }
        return { ...info, digest, size: Number(length), mediaType: mediaTypeOf(undefined, res.headers["content-type"]) };
      }
    }
    const res = await fetch("GET");
    const body = res.body;
    const headerDigest = res.headers["docker-content-digest"];
    let digest: string;
    if (ref.digest !== undefined) {
      const alg = ref.digest.slice(0, ref.digest.indexOf(":"));
      if (alg !== "sha256" && alg !== "sha512") {
        throw new NotaryError("REFERENCE_INVALID", `cannot verify a ${alg} digest (only sha256 and sha512)`, { details: { reference: where } });
      }
      const actual = digestOf(alg, body);
      if (actual !== ref.digest) throw mismatch(where, ref.digest, actual, "the digest asked for");
      digest = ref.digest;
    } else if (headerDigest !== undefined && headerDigest !== "") {
      if (!HEADER_DIGEST_RE.test(headerDigest)) {
        throw new NotaryError("REGISTRY_ERROR", `registry ${ref.registry} sent a malformed Docker-Content-Digest for ${where}`, {
          details: { reference: where, registry: ref.registry },
        });
      }
      const actual = digestOf(headerDigest.slice(0, headerDigest.indexOf(":")), body);
      if (actual !== headerDigest) throw mismatch(where, headerDigest, actual, "the registry's Docker-Content-Digest header");
      digest = headerDigest;
    } else {
      digest = digestOf("sha256", body);
    }
    return {
      ...info,
      digest,
      size: body.length,
      mediaType: mediaTypeOf(body, res.headers["content-type"]),
      manifestBytes: body,
    };
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
