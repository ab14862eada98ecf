/**
 * GUNs (notary's "globally unique names") as docker names repositories. Docker's GUN is the image's repository name
 * (reference §8.3), so a GUN must be what docker accepts as a name: the grammar of distribution/reference `regexp.go`
 * (`anchoredNameRegexp`: an optional `host[:port]/`, then lowercase path components) and the checks of
 * `reference.go › Parse` / `normalize.go › ParseNormalizedNamed` (at most 255 characters, no 64-hex image ID).
 *
 * The notary CLI and notary-server check none of this (they accept `Example.com/App`, `…/app:v1`, `…/app@sha256:…` and
 * `…/app-ü`), but docker can never use such a repository, and `?` or `#` would end the request path.
 */
import { NotaryError } from "../errors.ts";

/** `alphanumeric (separator alphanumeric)*`, separator `[._]|__|[-]+` (distribution/reference `pathComponent`). */
export const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
/** `host[:port]`: DNS-like labels (upper case allowed), or an IPv6 address in brackets (`domainAndPort`). */
export const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
export const DOMAIN_RE: RegExp = new RegExp(`^${DOMAIN}$`);
/** A repository path inside a registry (`remoteName`). */
export const PATH_RE: RegExp = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
/** A whole repository name (`anchoredNameRegexp`). */
const NAME_RE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
/** `NameTotalLengthMax`. */
export const NAME_TOTAL_LENGTH_MAX = 255;
/** A 64-hex image ID, which docker refuses as a name (`anchoredIdentifierRegexp`). */
export const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** True when docker accepts `gun` as a repository name (without tag or digest). */
export function isGun(gun: unknown): gun is string {
  return typeof gun === "string" && gun.length <= NAME_TOTAL_LENGTH_MAX && NAME_RE.test(gun) && !IDENTIFIER_RE.test(gun);
}

/** A first component docker reads as a registry host: it has `.` or `:`, is `localhost`, or has upper case (`splitDomain`). */
function looksLikeHost(first: string): boolean {
  return /[.:]/.test(first) || first.startsWith("[") || first === "localhost" || first.toLowerCase() !== first;
}

const EXAMPLE = `"registry.example.com/team/app"`;

/** What is wrong with a GUN that fails the grammar: the part at fault and what to use instead. */
function diagnose(gun: string): string {
  const at = gun.indexOf("@");
  if (at >= 0) {
    const name = gun.slice(0, at);
    const fix = suggestion(name.lastIndexOf(":") > name.lastIndexOf("/") ? name.slice(0, name.lastIndexOf(":")) : name);
    return `has a digest (${clip(gun.slice(at))}): a GUN names the repository without tag or digest${fix}`;
  }
  const slash = gun.lastIndexOf("/");
  const colon = gun.lastIndexOf(":");
  if (colon > slash) {
    return `has a tag (${clip(gun.slice(colon))}): a GUN names the repository without tag or digest${suggestion(gun.slice(0, colon))}`;
  }
  if (gun.length > NAME_TOTAL_LENGTH_MAX) return `is ${gun.length} characters long: docker allows at most ${NAME_TOTAL_LENGTH_MAX}`;
  const parts = gun.split("/");
  if (parts.some((p) => p === "")) return `has an empty path component (a leading, trailing or doubled "/"): use for example ${EXAMPLE}`;
  const hasHost = parts.length > 1 && looksLikeHost(parts[0]!);
  if (hasHost && !DOMAIN_RE.test(parts[0]!)) {
    return `starts with ${JSON.stringify(parts[0])}, which is not a registry host[:port] (letters, digits, "-" and "." only, then an optional ":port")`;
  }
  const path = hasHost ? parts.slice(1) : parts;
  const upper = path.find((p) => p.toLowerCase() !== p);
  if (upper !== undefined && path.every((p) => PATH_COMPONENT_RE.test(p.toLowerCase()))) {
    const host = hasHost ? `${parts[0]}/` : "";
    return `has upper case in the repository path (${JSON.stringify(upper)}): docker refuses such names: use ${JSON.stringify(host + path.join("/").toLowerCase())}`;
  }
  const bad = path.find((p) => !PATH_COMPONENT_RE.test(p)) ?? gun;
  const odd = /[^a-z0-9._-]/u.exec(bad)?.[0];
  return (
    `has an invalid path component ${JSON.stringify(bad)}${odd ? ` (${JSON.stringify(odd)} is not allowed)` : ""}: path components are ` +
    `lowercase letters and digits, joined by ".", "_", "__" or dashes, starting and ending with a letter or digit`
  );
}

function suggestion(name: string): string {
  return isGun(name) ? `: use ${JSON.stringify(name)}` : `: use the repository name alone, e.g. ${EXAMPLE}`;
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}…` : s;
}

/** Why `gun` is not a valid GUN, or undefined when it is. */
export function gunProblem(gun: unknown): string | undefined {
  if (typeof gun !== "string" || gun === "") return `is empty: give the repository name, e.g. ${EXAMPLE}`;
  if (isGun(gun)) return undefined;
  if (/[\u0000-\u0020\u007f]/.test(gun)) return `contains whitespace or a control character: use the repository name alone, e.g. ${EXAMPLE}`;
  if (IDENTIFIER_RE.test(gun)) return "is a 64-hex image ID, not a repository name (docker refuses it as a name)";
  return diagnose(gun);
}

/**
 * Throws GUN_INVALID unless docker accepts `gun` as a repository name (see the module comment).
 *
 * @example
 * assertGun("127.0.0.1:5000/team/app"); // ok
 * assertGun("example.com/app:v1");      // GUN_INVALID: has a tag (:v1) … use "example.com/app"
 */
export function assertGun(gun: string): void {
  const problem = gunProblem(gun);
  if (problem === undefined) return;
  const shown = typeof gun === "string" ? JSON.stringify(gun.length > 300 ? `${gun.slice(0, 300)}…` : gun) : String(gun);
  throw new NotaryError("GUN_INVALID", `GUN ${shown} ${problem}`, { details: { gun: typeof gun === "string" ? gun.slice(0, 300) : gun } });
}
