/**
 * Image references as docker normalises them (distribution/reference grammar, docker's `ParseNormalizedNamed`),
 * giving the GUN notary uses, and the base URL of a registry's API. Pure.
 */
import { NotaryError } from "../errors.ts";
import { DOMAIN_RE, IDENTIFIER_RE, NAME_TOTAL_LENGTH_MAX, PATH_RE } from "../metadata/gun.ts";

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
  const { rest: named, digest } = splitDigest(ref);
  const { rest, tag } = splitTag(ref, named);
  if (rest === "") throw invalid(ref, "no repository name");
  const { registry, repository } = splitDockerDomain(rest);
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

/** `…@algorithm:hex`: sha256 and sha512 digests must have their exact lower-case length. */
function splitDigest(ref: string): { rest: string; digest?: string } {
  const at = ref.indexOf("@");
  if (at === -1) return { rest: ref };
  const digest = ref.slice(at + 1);
  if (!DIGEST_RE.test(digest)) throw invalid(ref, `bad digest ${JSON.stringify(digest)}`);
  const [alg, hex] = digest.split(":") as [string, string];
  if (alg === "sha256" && !/^[a-f0-9]{64}$/.test(hex)) throw invalid(ref, "sha256 digests have 64 lower-case hex digits");
  if (alg === "sha512" && !/^[a-f0-9]{128}$/.test(hex)) throw invalid(ref, "sha512 digests have 128 lower-case hex digits");
  return { rest: ref.slice(0, at), digest };
}

/** `…:tag`, where the colon comes after the last slash (a colon before it is a registry port). */
function splitTag(ref: string, named: string): { rest: string; tag?: string } {
  const lastColon = named.lastIndexOf(":");
  if (lastColon <= named.lastIndexOf("/")) return { rest: named };
  const tag = named.slice(lastColon + 1);
  if (!TAG_RE.test(tag)) throw invalid(ref, `bad tag ${JSON.stringify(tag)}`);
  return { rest: named.slice(0, lastColon), tag };
}

/**
 * docker's `splitDockerDomain`: a first component with `.` or `:`, `localhost`, or upper case is a registry host;
 * otherwise the name is on Docker Hub, where single names live under `library/`.
 */
function splitDockerDomain(name: string): { registry: string; repository: string } {
  let registry: string;
  let repository: string;
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    registry = DEFAULT_REGISTRY;
    repository = name;
  } else {
    registry = first;
    repository = name.slice(slash + 1);
  }
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository };
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
