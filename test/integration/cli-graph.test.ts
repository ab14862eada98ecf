// `graph` parsed back: the Mermaid and the DOT text are read with a strict parser of each syntax (the subset the CLI
// writes; anything else fails) and must describe the same graph as the verified state: a repository with nested
// delegations and a threshold-2 role built with the SDK on a real notary-server and drawn by the built CLI, and the
// Go fixture notary-deleg (nested targets/alice/qa, written by notary).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { notaryServerPerFile } from "../support/per-file.ts";
import { clientPerSuite, manifest } from "./interop-helpers.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { keyToJson } from "../../sdk/src/crypto/keys.ts";
import { updateRepository } from "../../sdk/src/trust/update.ts";
import type { RepoState } from "../../sdk/src/trust/update.ts";
import { buildTrustGraph } from "../../cli/graph-model.ts";
import { renderDot, renderMermaid } from "../../cli/graph-render.ts";
import { fakeFetcher, loadServedRepo, repoJson, NOW } from "../unit/helpers/go-fixtures.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const server = notaryServerPerFile({ tls: true });
const client = clientPerSuite(server);

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A graph as both parsers return it: role → label lines, and `from -> to` edges (dashed ones marked). */
type Parsed = { nodes: Map<string, string[]>; edges: string[]; styled: Map<string, Set<string>> };

/** Mermaid `flowchart TD` as the CLI writes it: node, edge, classDef and class statements only. */
function parseMermaid(text: string): Parsed {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("%%"));
  assert.equal(lines.shift(), "flowchart TD");
  const ids = new Map<string, string>();
  const out: Parsed = { nodes: new Map(), edges: [], styled: new Map() };
  const role = (id: string): string => {
    const r = ids.get(id);
    assert.ok(r !== undefined, `node ${id} is used before it is defined`);
    return r;
  };
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^ {2}([A-Za-z][A-Za-z0-9_]*)\["([^"]*)"\]$/.exec(line))) {
      assert.doesNotMatch(m[2]!.replace(/<br\/>/g, ""), /[<>]/, "no raw HTML besides <br/>");
      const label = m[2]!.split("<br/>").map((s) => s.replace(/#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))));
      assert.ok(!ids.has(m[1]!), `node ${m[1]} defined twice`);
      ids.set(m[1]!, label[0]!);
      out.nodes.set(label[0]!, label);
    } else if ((m = /^ {2}(\w+) --> (\w+)$/.exec(line))) {
      out.edges.push(`${role(m[1]!)} -> ${role(m[2]!)}`);
    } else if ((m = /^ {2}(\w+) -\.->\|([a-z ]+)\| (\w+)$/.exec(line))) {
      out.edges.push(`${role(m[1]!)} -> ${role(m[3]!)} (dashed: ${m[2]})`);
    } else if ((m = /^ {2}classDef (\w+) [\w#:,-]+(?: [\w#:,-]+)*$/.exec(line))) {
      out.styled.set(m[1]!, new Set());
    } else if ((m = /^ {2}class ([\w,]+) (\w+)$/.exec(line))) {
      const set = out.styled.get(m[2]!);
      assert.ok(set, `class ${m[2]} is defined before use`);
      for (const id of m[1]!.split(",")) set.add(role(id));
    } else {
      assert.fail(`not a Mermaid statement the CLI writes: ${JSON.stringify(line)}`);
    }
  }
  return out;
}

/** Tokens of DOT: quoted strings (decoded), bare IDs, `->` and punctuation; `//` comments skipped. */
function dotTokens(text: string): { t: "id" | "p"; v: string }[] {
  const out: { t: "id" | "p"; v: string }[] = [];
  const re = /\s+|\/\/[^\n]*|"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)|(->|[{}[\];,=])|(.)/gy;
  for (let m = re.exec(text); m !== null && m[0] !== ""; m = re.exec(text)) {
    if (m[4] !== undefined) assert.fail(`unexpected character ${JSON.stringify(m[4])} in DOT`);
    if (m[1] !== undefined) out.push({ t: "id", v: m[1].replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1") });
    else if (m[2] !== undefined) out.push({ t: "id", v: m[2] });
    else if (m[3] !== undefined) out.push({ t: "p", v: m[3] });
  }
  return out;
}

/** `digraph ID { stmt; … }` with node, edge, `graph`/`node` attribute statements and `[a=b, …]` lists. */
function parseDot(text: string): Parsed {
  const toks = dotTokens(text);
  let i = 0;
  const next = () => toks[i++] ?? assert.fail("DOT ends early");
  const expect = (v: string) => assert.equal(next().v, v);
  const attrs = (): Map<string, string> => {
    const a = new Map<string, string>();
    if (toks[i]?.v !== "[") return a;
    expect("[");
    while (toks[i]?.v !== "]") {
      const k = next();
      expect("=");
      const v = next();
      assert.ok(k.t === "id" && v.t === "id", "attribute a=b");
      a.set(k.v, v.v);
      if (toks[i]?.v === ",") i++;
    }
    expect("]");
    return a;
  };
  expect("digraph");
  if (toks[i]?.t === "id") i++;
  expect("{");
  const out: Parsed = { nodes: new Map(), edges: [], styled: new Map([["dashed", new Set()], ["red", new Set()]]) };
  while (toks[i]?.v !== "}") {
    const a = next();
    assert.equal(a.t, "id", `statement starts with an ID, not ${a.v}`);
    if (a.v === "graph" || a.v === "node") {
      attrs();
    } else if (toks[i]?.v === "->") {
      i++;
      const b = next();
      const at = attrs();
      for (const end of [a.v, b.v]) assert.ok(out.nodes.has(end), `edge end ${end} is a declared node`);
      out.edges.push(`${a.v} -> ${b.v}${at.get("style") === "dashed" ? ` (dashed: ${at.get("label")})` : ""}`);
    } else {
      const at = attrs();
      const label = at.get("label");
      assert.ok(label !== undefined, `node ${a.v} has a label`);
      assert.equal(label.split("\n")[0], a.v, "the first label line is the role");
      out.nodes.set(a.v, label.split("\n"));
      if (at.get("style") === "dashed") out.styled.get("dashed")!.add(a.v);
      if (at.get("color") === "red") out.styled.get("red")!.add(a.v);
    }
    expect(";");
  }
  expect("}");
  assert.equal(i, toks.length, "nothing after the graph");
  return out;
}

/** What both syntaxes must say about a verified state (ignoring styling). */
function assertDescribes(g: Parsed, state: RepoState, what: string): void {
  const expectedRoles = ["root", "targets", ...[...state.roles.keys()].filter((r) => r !== "targets"), "snapshot", "timestamp"];
  for (const r of expectedRoles) assert.ok(g.nodes.has(r), `${what}: ${r} is drawn`);
  for (const [role, r] of state.roles) {
    const label = g.nodes.get(role)!;
    assert.ok(label.includes(`version ${r.file.signed.version}, expires ${new Date(r.file.signed.expires).toISOString().replace(/\.\d{3}Z$/, "Z")}`), `${what}: ${role} version/expiry: ${label.join(" | ")}`);
    for (const d of r.file.signed.delegations.roles) {
      assert.ok(g.edges.includes(`${role} -> ${d.name}`), `${what}: edge ${role} -> ${d.name}`);
      const child = g.nodes.get(d.name)!;
      assert.ok(child.includes(`threshold ${d.threshold} of ${d.keyids.length} key${d.keyids.length === 1 ? "" : "s"}`), `${what}: ${d.name} threshold: ${child.join(" | ")}`);
      const paths = (d.paths ?? []).map((p) => (p === "" ? 'all ("")' : JSON.stringify(p))).join(", ");
      assert.ok(child.includes(`paths: ${paths}`), `${what}: ${d.name} paths`);
    }
  }
  for (const base of ["targets", "snapshot", "timestamp"]) assert.ok(g.edges.includes(`root -> ${base}`), `${what}: root -> ${base}`);
  assert.ok(g.edges.includes("timestamp -> snapshot (dashed: pins)"));
  assert.ok(g.nodes.get("timestamp")!.includes("key held by: server"));
}

function assertSameGraph(m: Parsed, d: Parsed): void {
  assert.deepEqual([...m.nodes], [...d.nodes], "Mermaid and DOT show the same roles with the same lines");
  assert.deepEqual(m.edges, d.edges, "and the same edges");
}

test("graph of a Go-made repository (notary-deleg: nested delegation, x509 delegation key) parses in both syntaxes", async () => {
  const { gun } = repoJson("notary-deleg");
  const state = await updateRepository({ gun, fetch: fakeFetcher(loadServedRepo("notary-deleg")).fetch, now: NOW, anchor: { tofu: true } });
  const g = buildTrustGraph(state);
  const m = parseMermaid(renderMermaid(g));
  const d = parseDot(renderDot(g));
  assertSameGraph(m, d);
  assertDescribes(m, state, "notary-deleg");
  assert.ok(m.edges.includes("targets/alice -> targets/alice/qa"));
});

test("graph via the CLI: nested delegations, a threshold-2 role, an expired role, a role with no file; --ask-server", async () => {
  const gun = `${server.host}/graph/app`;
  const [rootKey, targetsKey, rel, ci1, ci2, qa, old] = Array.from({ length: 7 }, () => PrivateKey.generate()) as PrivateKey[];
  const repo = client.repository(gun, { anchor: { tofu: true } });
  const init = await repo.initialize({ rootKey: rootKey!, targetsKey: targetsKey! });
  const pub = (k: PrivateKey) => keyToJson(k.publicKey);
  await repo.publish(
    [
      { type: "setDelegation", name: "targets/releases", keys: [pub(rel!)], threshold: 1, paths: [""] },
      { type: "setDelegation", name: "targets/ci", keys: [pub(ci1!), pub(ci2!)], threshold: 2, paths: ["ci/", "v"] },
      { type: "setDelegation", name: "targets/old", keys: [pub(old!)], threshold: 1, paths: ["old/"] },
    ],
    { keys: [targetsKey!] },
  );
  await repo.publish([{ type: "setDelegation", name: "targets/ci/qa", keys: [pub(qa!)], threshold: 1, paths: ["ci/qa/"] }], { keys: [ci1!, ci2!] });
  await repo.publish([{ type: "setTarget", role: "targets/ci/qa", name: "ci/qa/x", meta: manifest("qa").meta }], { keys: [qa!] });
  const meta = manifest("v1").meta;
  await repo.publish([{ type: "setTarget", role: "targets/releases", name: "v1", meta }, { type: "setTarget", role: "targets/ci", name: "v1", meta }], { keys: [rel!, ci1!, ci2!] });
  // targets/old is signed with a 2 s lifetime (the server refuses files that are expired already): expired when drawn.
  const shortLived = client.repository(gun, { expiry: { delegation: 2_000 } });
  await shortLived.publish([{ type: "setTarget", role: "targets/old", name: "old/a", meta }], { keys: [old!] });
  const oldExpires = Date.parse(shortLived.state!.roles.get("targets/old")!.file.signed.expires);
  await new Promise((r) => setTimeout(r, Math.max(0, oldExpires - Date.now()) + 200));

  const rootId = init.root.signed.roles["root"]!.keyids[0]!;
  const args = [`${gun}:v1`, "--server", server.url, "--ca", server.caFile!, "--root-key-id", rootId];
  const mer = cli(["graph", ...args]);
  const dot = cli(["graph", ...args, "--format", "dot"]);
  assert.equal(mer.code, 0, mer.stderr);
  assert.equal(dot.code, 0, dot.stderr);
  const m = parseMermaid(mer.stdout);
  const d = parseDot(dot.stdout);
  assertSameGraph(m, d);
  const state = await client.repository(`${gun}`).fetch();
  assertDescribes(m, state, "CLI");
  assert.deepEqual(m.edges.filter((e) => e.startsWith("targets/ci ")), ["targets/ci -> targets/ci/qa"]);
  assert.ok(m.nodes.get("targets/ci")!.includes(`keys: ${[ci1!.id, ci2!.id].map((id) => id.slice(0, 12)).sort().join(", ")}`));
  assert.ok(m.nodes.get("targets/ci")!.includes("threshold 2 of 2 keys"));
  assert.ok(m.nodes.get("targets/old")!.includes("EXPIRED"));
  assert.deepEqual([...m.styled.get("problem")!], ["targets/old"]);
  assert.deepEqual([...d.styled.get("red")!], ["targets/old"]);
  const digest = Buffer.from(meta.hashes["sha256"]!, "base64").toString("hex").slice(0, 12);
  assert.deepEqual([...m.nodes].filter(([, l]) => l.includes(`signs v1: ${digest}`)).map(([r]) => r), ["targets/ci", "targets/releases"]);
  assert.ok(m.nodes.get("snapshot")!.includes("key held by: not asked (--ask-server)"));
  assert.equal(cli(["graph", ...args]).stdout, mer.stdout, "deterministic");

  const asked = parseMermaid(cli(["graph", ...args, "--ask-server"]).stdout);
  assert.ok(asked.nodes.get("snapshot")!.includes("key held by: server"), "docker's default: the server holds the snapshot key");

  // A repository whose owners hold the snapshot key, and a delegation nothing was signed into yet.
  const gun2 = `${server.host}/graph/client-snapshot`;
  const snapshotKey = PrivateKey.generate();
  const repo2 = client.repository(gun2, { anchor: { tofu: true } });
  const init2 = await repo2.initialize({ rootKey: rootKey!, targetsKey: targetsKey!, snapshotKey });
  await repo2.publish([{ type: "setDelegation", name: "targets/bob", keys: [pub(rel!)], threshold: 1, paths: [""] }], { keys: [targetsKey!, snapshotKey] });
  const r2 = cli(["graph", gun2, "--server", server.url, "--ca", server.caFile!, "--root-key-id", init2.root.signed.roles["root"]!.keyids[0]!, "--ask-server"]);
  assert.equal(r2.code, 0, r2.stderr);
  const g2 = parseMermaid(r2.stdout);
  assert.ok(g2.nodes.get("snapshot")!.includes("key held by: client (the repository's owners)"));
  assert.ok(g2.nodes.get("targets/bob")!.includes("no file yet (nothing signed)"));
  assert.deepEqual([...g2.styled.get("nofile")!], ["targets/bob"]);
});
