/**
 * The trust graph as text: Mermaid (`flowchart TD`, which GitHub renders in a ```mermaid block) and Graphviz DOT.
 * Both show the same lines per role (see `labelLines`) and the same edges, in the graph's order, so the output is
 * deterministic. Everything that comes from metadata (paths especially) is escaped for the target syntax.
 */
import { parseGoTime } from "../sdk/src/index.ts";
import type { RoleNode, TrustGraph } from "./graph-model.ts";

const MAX_PATHS = 4;
const KEYS_PER_LINE = 3;

/** `2029-11-21T02:12:24Z`: Go's expiry without the fraction, in UTC. */
export function shortTime(expires: string): string {
  return parseGoTime(expires).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function pathsText(paths: readonly string[]): string {
  if (paths.length === 0) return "none";
  const shown = paths.slice(0, MAX_PATHS).map((p) => (p === "" ? 'all ("")' : JSON.stringify(p)));
  return shown.join(", ") + (paths.length > MAX_PATHS ? `, … (${paths.length - MAX_PATHS} more)` : "");
}

/** The text of a role's box, one entry per line. */
export function labelLines(n: RoleNode, tag?: string): string[] {
  const lines = [n.role];
  const keyLines: string[] = [];
  for (let i = 0; i < n.keys.length; i += KEYS_PER_LINE) keyLines.push(n.keys.slice(i, i + KEYS_PER_LINE).join(", "));
  lines.push(`threshold ${n.threshold} of ${n.keys.length} key${n.keys.length === 1 ? "" : "s"}`);
  if (keyLines.length === 0) lines.push("keys: none");
  keyLines.forEach((l, i) => lines.push(i === 0 ? `keys: ${l}` : `      ${l}`));
  if (n.paths !== undefined) lines.push(`paths: ${pathsText(n.paths)}`);
  if (n.version !== undefined && n.expires !== undefined) lines.push(`version ${n.version}, expires ${shortTime(n.expires)}`);
  else lines.push("no file yet (nothing signed)");
  if (n.status === "expired" || n.status === "invalid") lines.push(n.status === "expired" ? "EXPIRED" : "INVALID (readers skip it)");
  if (n.holder !== undefined) lines.push(`key held by: ${n.holder}`);
  if (tag !== undefined && n.tagDigest !== undefined) lines.push(`signs ${tag}: ${n.tagDigest}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------------
// Mermaid

const FIXED_IDS = new Set(["root", "targets", "snapshot", "timestamp"]);

/** A Mermaid node ID for a role: letters and digits kept, every other character as `_` + 2 hex digits (unique). */
export function mermaidId(role: string): string {
  if (FIXED_IDS.has(role)) return role;
  return role.replace(/[^a-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Mermaid entity codes for everything that could end or change a quoted label. */
function mermaidText(s: string): string {
  return s.replace(/["<>#&`\\\u0000-\u001f\u007f]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * @example
 * flowchart TD
 *   root["root<br/>threshold 1 of 1 key<br/>…"]
 *   root --> targets
 */
export function renderMermaid(g: TrustGraph): string {
  const out = [`%% Trust graph of ${g.gun}${g.tag !== undefined ? `:${g.tag}` : ""} (pulumi-notary graph)`, "flowchart TD"];
  for (const n of g.nodes) out.push(`  ${mermaidId(n.role)}["${labelLines(n, g.tag).map(mermaidText).join("<br/>")}"]`);
  for (const e of g.edges) {
    out.push(e.kind === "pins" ? `  ${mermaidId(e.from)} -.->|pins| ${mermaidId(e.to)}` : `  ${mermaidId(e.from)} --> ${mermaidId(e.to)}`);
  }
  const classes: [string, string, (n: RoleNode) => boolean][] = [
    ["server", "fill:#e8f0fe,stroke:#4a6fa5", (n) => n.holder === "server"],
    ["nofile", "stroke-dasharray:5 5", (n) => n.status === "no file"],
    ["problem", "stroke:#c00,stroke-width:3px", (n) => n.status === "expired" || n.status === "invalid"],
  ];
  for (const [name, style, has] of classes) {
    const ids = g.nodes.filter(has).map((n) => mermaidId(n.role));
    if (ids.length > 0) out.push(`  classDef ${name} ${style}`, `  class ${ids.join(",")} ${name}`);
  }
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------------------------------
// Graphviz DOT

/** Text inside a DOT quoted string (escString): `\` and `"` escaped, control characters replaced. */
function dotEscape(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, "?");
}

const dotQuote = (s: string): string => `"${dotEscape(s)}"`;

function dotAttributes(n: RoleNode, tag: string | undefined): string {
  // `\n` inside a DOT label is a line break (centred).
  const attrs = [`label="${labelLines(n, tag).map(dotEscape).join("\\n")}"`];
  if (n.holder === "server") attrs.push('style="rounded,filled"', 'fillcolor="#e8f0fe"');
  if (n.status === "no file") attrs.push("style=dashed");
  if (n.status === "expired" || n.status === "invalid") attrs.push("color=red", "penwidth=3");
  return attrs.join(", ");
}

/**
 * @example
 * digraph trust {
 *   "root" [label="root\nthreshold 1 of 1 key\n…"];
 *   "root" -> "targets";
 * }
 */
export function renderDot(g: TrustGraph): string {
  const title = `${g.gun}${g.tag !== undefined ? `:${g.tag}` : ""}`;
  const out = [
    `// Trust graph of ${title} (pulumi-notary graph)`,
    "digraph trust {",
    `  graph [label=${dotQuote(`trust graph of ${title}`)}, labelloc=t, rankdir=TB];`,
    '  node [shape=box, fontname="monospace"];',
  ];
  for (const n of g.nodes) out.push(`  ${dotQuote(n.role)} [${dotAttributes(n, g.tag)}];`);
  for (const e of g.edges) {
    out.push(`  ${dotQuote(e.from)} -> ${dotQuote(e.to)}${e.kind === "pins" ? ' [style=dashed, label="pins"]' : ""};`);
  }
  out.push("}");
  return out.join("\n") + "\n";
}
