/**
 * The `WWW-Authenticate` header (RFC 7235 §4.1): challenges with their parameters, as distribution's
 * `registry/client/auth/challenge` parses them. Pure: no I/O. Lenient like distribution's parser: a malformed header
 * never throws, it yields the challenges that can be read (test/unit/sdk/www-authenticate.test.ts holds the vectors).
 */

export interface Challenge {
  /** Lower-case scheme: "bearer", "basic", … */
  scheme: string;
  /** Lower-case parameter names. */
  params: Record<string, string>;
}

/** RFC 7230 §3.2.6 tchar. */
const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** A position in the header being read. */
interface Cursor {
  readonly s: string;
  i: number;
}

const isWhitespace = (c: string | undefined): boolean => c === " " || c === "\t";

function skipWhitespace(c: Cursor): void {
  while (c.i < c.s.length && isWhitespace(c.s[c.i])) c.i++;
}

/** OWS and the commas between challenges and between parameters (empty list elements are allowed, RFC 7230 §7). */
function skipSeparators(c: Cursor): void {
  while (c.i < c.s.length && (isWhitespace(c.s[c.i]) || c.s[c.i] === ",")) c.i++;
}

function readToken(c: Cursor): string {
  const start = c.i;
  while (c.i < c.s.length && TCHAR.test(c.s[c.i]!)) c.i++;
  return c.s.slice(start, c.i);
}

/** True when `=` follows (after optional whitespace): the token before it names a parameter, not a scheme. */
function isParamName(c: Cursor): boolean {
  let j = c.i;
  while (j < c.s.length && isWhitespace(c.s[j])) j++;
  return c.s[j] === "=";
}

/** quoted-string with quoted-pairs (`\x` → `x`); an unterminated one runs to the end of the header. */
function readQuotedString(c: Cursor): string {
  let value = "";
  c.i++; // opening quote
  while (c.i < c.s.length && c.s[c.i] !== '"') {
    if (c.s[c.i] === "\\" && c.i + 1 < c.s.length) c.i++;
    value += c.s[c.i];
    c.i++;
  }
  c.i++; // closing quote
  return value;
}

/** An unquoted value runs to the next comma or whitespace. */
function readBareValue(c: Cursor): string {
  const start = c.i;
  while (c.i < c.s.length && c.s[c.i] !== "," && !isWhitespace(c.s[c.i])) c.i++;
  return c.s.slice(start, c.i);
}

/** `= value` after a parameter name. */
function readParamValue(c: Cursor): string {
  skipWhitespace(c);
  c.i++; // "="
  skipWhitespace(c);
  return c.s[c.i] === '"' ? readQuotedString(c) : readBareValue(c);
}

/**
 * Parses a `WWW-Authenticate` value; several challenges may be comma-separated.
 *
 * @example
 * parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"')
 * // [{ scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io" } }]
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  const c: Cursor = { s: header, i: 0 };
  let current: Challenge | undefined;
  while (c.i < header.length) {
    skipSeparators(c);
    const token = readToken(c);
    if (token === "") {
      c.i++; // not a token character: skip it
      continue;
    }
    if (current !== undefined && isParamName(c)) {
      current.params[token.toLowerCase()] = readParamValue(c);
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
      skipWhitespace(c);
    }
  }
  return out;
}

/**
 * The challenge to answer among those of a `WWW-Authenticate` value: the first Bearer with a realm, else the first
 * Basic (distribution's order of preference); undefined when there is neither.
 */
export function pickChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined;
  const all = parseWwwAuthenticate(header);
  return all.find((c) => c.scheme === "bearer" && c.params["realm"]) ?? all.find((c) => c.scheme === "basic");
}
