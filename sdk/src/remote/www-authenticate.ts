/**
 * The `WWW-Authenticate` header (RFC 7235): challenges with their parameters, as distribution's
 * `registry/client/auth/challenge` parses them. Pure: no I/O.
 */
// ---------------------------------------------------------------------------------------------------------------------
// Challenges

export interface Challenge {
  /** Lower-case scheme: "bearer", "basic", … */
  scheme: string;
  /** Lower-case parameter names. */
  params: Record<string, string>;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses a `WWW-Authenticate` value (RFC 7235; several challenges may be comma-separated). */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let cur: Challenge | undefined;
  const s = header;
  const n = s.length;
  let i = 0;
  const isWs = (c: string | undefined) => c === " " || c === "\t";
  while (i < n) {
    while (i < n && (isWs(s[i]) || s[i] === ",")) i++;
    const start = i;
    while (i < n && TCHAR.test(s[i]!)) i++;
    const tok = s.slice(start, i);
    if (tok === "") {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isWs(s[j])) j++;
    if (s[j] === "=" && cur !== undefined) {
      i = j + 1;
      while (i < n && isWs(s[i])) i++;
      let val = "";
      if (s[i] === '"') {
        i++;
        while (i < n && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < n) i++;
          val += s[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && s[i] !== "," && !isWs(s[i])) i++;
        val = s.slice(vs, i);
      }
      cur.params[tok.toLowerCase()] = val;
    } else {
      cur = { scheme: tok.toLowerCase(), params: {} };
      out.push(cur);
      i = j;
    }
  }
  return out;
}
