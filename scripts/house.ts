/**
 * The house's figures (issue 13): source files over 300 and 400 lines, functions over 80 lines, import circles between
 * files, imports that run back up a floor (a circle between folders), and the size of test/support.
 *
 *   node scripts/house.ts          # prints the figures; exit 1 when a target is missed
 *
 * Sources are sdk/src, provider/src and cli (TypeScript and the provider's .cjs entry points). A function's length is
 * counted from the line of its first token to the line of its last, as an editor shows it.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const ROOT = resolve(import.meta.dirname, "..");
const SOURCES = ["sdk/src", "provider/src", "cli"];
const TARGETS = { fileMax: 400, filesOver300Max: 4, functionMax: 80, supportMax: 2500 };

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|cjs)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const lines = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

type Fn = { file: string; name: string; lines: number };

function functionsOf(file: string, text: string): Fn[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Fn[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file, name: nameOf(node), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function nameOf(node: ts.Node): string {
  const n = (node as { name?: ts.Node }).name;
  if (n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n))) return n.text;
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  return `(anonymous at line ${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1})`;
}

function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|require\(\s*["'](\.[^"']+)["']\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2]!;
    const target = resolve(dirname(file), spec);
    out.push(target.replace(/\.js$/, ".ts"));
  }
  return out;
}

/** Circles in a directed graph (Tarjan's strongly connected components of more than one node, or a self loop). */
function circles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>(), stack: string[] = [];
  const found: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index), low.set(v, index++), stack.push(v), on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) strong(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do (w = stack.pop()!), on.delete(w), c.push(w);
      while (w !== v);
      if (c.length > 1 || graph.get(v)?.has(v)) found.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return found;
}

const files = SOURCES.flatMap((d) => walk(join(ROOT, d)));
const texts = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
const sizes = files.map((f) => ({ file: relative(ROOT, f), lines: lines(texts.get(f)!) })).sort((a, b) => b.lines - a.lines);
const fns = files.flatMap((f) => functionsOf(relative(ROOT, f), texts.get(f)!)).sort((a, b) => b.lines - a.lines);
const fileGraph = new Map<string, Set<string>>();
const folderGraph = new Map<string, Set<string>>();
for (const f of files) {
  const from = relative(ROOT, f);
  for (const t of importsOf(f, texts.get(f)!)) {
    const to = relative(ROOT, t);
    if (!texts.has(t)) continue;
    (fileGraph.get(from) ?? fileGraph.set(from, new Set()).get(from)!).add(to);
    const [a, b] = [floorOf(from), floorOf(to)];
    if (a !== b) (folderGraph.get(a) ?? folderGraph.set(a, new Set()).get(a)!).add(b);
  }
}
/** A floor is a folder; a file at the top of a package (sdk/src/errors.ts, sdk/src/client.ts) is a floor of its own. */
function floorOf(file: string): string {
  const dir = dirname(file);
  return SOURCES.includes(dir) ? file : dir;
}
const support = walk(join(ROOT, "test/support")).reduce((n, f) => n + lines(readFileSync(f, "utf8")), 0);
const sorted = [...sizes].map((s) => s.lines).sort((a, b) => a - b);

const over300 = sizes.filter((s) => s.lines > 300);
const over400 = sizes.filter((s) => s.lines > TARGETS.fileMax);
const longFns = fns.filter((f) => f.lines > TARGETS.functionMax);
const fileCircles = circles(fileGraph);
const folderCircles = circles(folderGraph);

console.log(`source files: ${sizes.length}, median ${sorted[Math.floor(sorted.length / 2)]} lines`);
console.log(`files over 300 lines: ${over300.length} (target ≤ ${TARGETS.filesOver300Max})`);
for (const s of over300) console.log(`  ${s.lines}\t${s.file}`);
console.log(`files over ${TARGETS.fileMax} lines: ${over400.length} (target 0)`);
console.log(`functions over ${TARGETS.functionMax} lines: ${longFns.length}, longest ${fns[0]?.lines} (target 0)`);
for (const f of (longFns.length ? longFns : fns.slice(0, 3))) console.log(`  ${f.lines}\t${f.name}\t${f.file}`);
console.log(`import circles between files: ${fileCircles.length} (target 0)`);
for (const c of fileCircles) console.log(`  ${c.join(" <-> ")}`);
console.log(`imports running back up a floor (circles between folders): ${folderCircles.length} (target 0)`);
for (const c of folderCircles) console.log(`  ${c.join(" <-> ")}`);
console.log(`test/support: ${support} lines (target < ${TARGETS.supportMax})`);

const missed =
  over400.length > 0 || over300.length > TARGETS.filesOver300Max || longFns.length > 0 || fileCircles.length > 0 || folderCircles.length > 0 || support >= TARGETS.supportMax;
process.exitCode = missed ? 1 : 0;
