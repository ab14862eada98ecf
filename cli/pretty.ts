/**
 * `docker trust inspect --pretty`, byte for byte, from the same view as the JSON form (docker/cli v28.2.2:
 * `cli/command/trust/inspect_pretty.go › prettyPrintTrustInfo`, `formatter.go`, `common.go › formatAdminRole`).
 *
 * docker's tables go through its tabwriter fork with minwidth 10, padding 3 and space padding
 * (`cli/command/formatter/formatter.go › postFormat`): every column but the last is as wide as its widest cell plus 3,
 * and at least 10. Widths here count code points; docker counts terminal cells (go-runewidth), which differs only for
 * wide (East Asian) or combining characters, which docker tags cannot hold.
 */
import type { TrustInspection } from "../sdk/src/index.ts";

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/**
 * `sortorder.NaturalLess` (github.com/fvbommel/sortorder), which docker sorts tags and signers with: digit runs compare
 * as numbers (fewer leading zeros first on a tie), everything else byte by byte (UTF-8), digits before other bytes.
 */
export function naturalLess(a: string, b: string): boolean {
  const s1 = Buffer.from(a, "utf8");
  const s2 = Buffer.from(b, "utf8");
  let i1 = 0;
  let i2 = 0;
  while (i1 < s1.length && i2 < s2.length) {
    const c1 = s1[i1]!;
    const c2 = s2[i2]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i1++;
      i2++;
      continue;
    }
    while (i1 < s1.length && s1[i1] === 0x30) i1++;
    while (i2 < s2.length && s2[i2] === 0x30) i2++;
    const nz1 = i1;
    const nz2 = i2;
    while (isDigit(s1[i1])) i1++;
    while (isDigit(s2[i2])) i2++;
    if (i1 - nz1 !== i2 - nz2) return i1 - nz1 < i2 - nz2;
    const n1 = s1.subarray(nz1, i1).toString("latin1");
    const n2 = s2.subarray(nz2, i2).toString("latin1");
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  // Identical so far and at least one has ended: the one that goes on sorts last.
  return s1.length < s2.length;
}

const naturalCompare = (a: string, b: string): number => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0);

/** Go's `sort.Strings`: byte order of the UTF-8 encoding. */
const byteCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** docker's `formatter.TruncateID`: the part after any `algo:` prefix, first 12 characters. */
function truncateId(id: string): string {
  const i = id.indexOf(":");
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}

/** Go's text/tabwriter (docker's fork) with minwidth 10, padding 3, ' ' padding, no flags, on rows of equal length. */
export function tabulate(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, j) => {
      widths[j] = Math.max(widths[j] ?? 10, [...cell].length + 3);
    });
  }
  return rows.map((row) => row.map((cell, j) => (j < row.length - 1 ? cell + " ".repeat(widths[j]! - [...cell].length) : cell)).join("") + "\n").join("");
}

function signatureTable(view: TrustInspection): string {
  const rows = [...view.SignedTags].sort((x, y) => naturalCompare(x.SignedTag, y.SignedTag));
  return tabulate([
    ["SIGNED TAG", "DIGEST", "SIGNERS"],
    ...rows.map((r) => {
      // inspectTrust (like docker's JSON) says "Repo Admin" when only targets or targets/releases hold the tag.
      const signers = r.Signers.length === 1 && r.Signers[0] === "Repo Admin" ? ["(Repo Admin)"] : [...r.Signers].sort(byteCompare);
      return [r.SignedTag, r.Digest, signers.join(", ")];
    }),
  ]);
}

function signerTable(view: TrustInspection): string {
  const signers = [...view.Signers].sort((x, y) => naturalCompare(x.Name, y.Name));
  return tabulate([
    ["SIGNER", "KEYS"],
    ...signers.map((s) => [s.Name, s.Keys.map((k) => k.ID).sort(byteCompare).map(truncateId).join(", ")]),
  ]);
}

function adminKeys(view: TrustInspection): string {
  // docker sorts the admin roles by name, descending ("targets" before "root"), and each role's key IDs ascending.
  const label = { Repository: "Repository Key", Root: "Root Key" } as const;
  return [...view.AdministrativeKeys]
    .sort((x, y) => (x.Name === y.Name ? 0 : x.Name === "Repository" ? -1 : 1))
    .map((r) => `  ${label[r.Name]}:\t${r.Keys.map((k) => k.ID).sort(byteCompare).join(", ")}\n`)
    .join("");
}

/**
 * The text `docker trust inspect --pretty NAME` prints, for the view `inspectTrust` gives of the same repository.
 * @example process.stdout.write(formatPretty(inspectTrust(state, "127.0.0.1:5000/team/app", "v1")));
 */
export function formatPretty(view: TrustInspection): string {
  const name = view.Name;
  let out = view.SignedTags.length > 0 ? `\nSignatures for ${name}\n\n${signatureTable(view)}` : `\nNo signatures for ${name}\n\n`;
  if (view.Signers.length > 0) out += `\nList of signers and their keys for ${name}\n\n${signerTable(view)}`;
  return out + `\nAdministrative keys for ${name}\n\n${adminKeys(view)}`;
}
