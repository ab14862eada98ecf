// The trust graph of a repository notary wrote (Go fixture notary-deleg: nested targets/alice/qa, an ecdsa-x509
// delegation key, a server-held snapshot), and the escaping of metadata text in both output syntaxes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { updateRepository } from "../../../sdk/src/trust/update.ts";
import { buildTrustGraph } from "../../../cli/graph-model.ts";
import type { TrustGraph } from "../../../cli/graph-model.ts";
import { labelLines, mermaidId, renderDot, renderMermaid } from "../../../cli/graph-render.ts";
import { fakeFetcher, goJson, keyIdsJson, loadServedRepo, repoJson, NOW } from "../helpers/go-fixtures.ts";

async function notaryDeleg() {
  const { gun } = repoJson("notary-deleg");
  const { fetch } = fakeFetcher(loadServedRepo("notary-deleg"));
  return updateRepository({ gun, fetch, now: NOW, anchor: { tofu: true } });
}

type SignedJson = { signed: { version: number; expires: string; roles?: Record<string, { keyids: string[] }>; delegations?: { roles: { name: string; keyids: string[] }[] } } };
const file = (rel: string): SignedJson["signed"] => goJson<SignedJson>(`repos/notary-deleg/${rel}`).signed;

/** The canonical key ID Go computed for a key ID found in the metadata (keyids.json), 12 characters. */
function goCanonical(id: string): string {
  const k = keyIdsJson().keys.find((x) => x.keyid === id);
  assert.ok(k, id);
  return (k.canonical_keyid ?? k.keyid).slice(0, 12);
}

test("buildTrustGraph: roles in order, nested delegations, Go's key IDs, versions and expiries of the files", async () => {
  const g = buildTrustGraph(await notaryDeleg(), { tag: "v1" });
  assert.deepEqual(
    g.nodes.map((n) => n.role),
    ["root", "targets", "targets/alice", "targets/alice/qa", "targets/releases", "snapshot", "timestamp"],
  );
  assert.deepEqual(
    g.edges.map((e) => `${e.from} ${e.kind} ${e.to}`),
    [
      "root delegates targets",
      "targets delegates targets/alice",
      "targets/alice delegates targets/alice/qa",
      "targets delegates targets/releases",
      "root delegates snapshot",
      "root delegates timestamp",
      "timestamp pins snapshot",
    ],
  );
  const root = file("root.json");
  const targets = file("targets.json");
  const node = (role: string) => g.nodes.find((n) => n.role === role)!;
  // Root shows the certificate key ID (what docker trust inspect prints as Root), not the private key's.
  assert.deepEqual(node("root").keys, [root.roles!["root"]!.keyids[0]!.slice(0, 12)]);
  assert.notEqual(node("root").keys[0], goCanonical(root.roles!["root"]!.keyids[0]!));
  // The releases key is an ecdsa-x509 certificate: shown by its canonical ID, as docker shows signers.
  const relId = targets.delegations!.roles.find((r) => r.name === "targets/releases")!.keyids[0]!;
  assert.deepEqual(node("targets/releases").keys, [goCanonical(relId)]);
  assert.notEqual(goCanonical(relId), relId.slice(0, 12));
  assert.deepEqual(node("targets/alice/qa").paths, ["prod/qa"]);
  assert.deepEqual(node("targets/alice").paths, ["v1", "prod/"]);
  for (const [role, rel] of [["root", "root.json"], ["targets", "targets.json"], ["targets/alice", "targets/alice.json"], ["targets/alice/qa", "targets/alice/qa.json"], ["snapshot", "snapshot.json"], ["timestamp", "timestamp.json"]] as const) {
    assert.equal(node(role).version, file(rel).version, role);
    assert.equal(node(role).expires, file(rel).expires, role);
  }
  // v1 was signed into releases and alice (transcript: addhash v1 -r targets/releases,targets/alice).
  assert.deepEqual(g.nodes.filter((n) => n.tagDigest !== undefined).map((n) => n.role), ["targets/alice", "targets/releases"]);
  assert.equal(node("timestamp").holder, "server");
  assert.equal(node("snapshot").holder, "not asked (--ask-server)");
  assert.equal(buildTrustGraph(await notaryDeleg(), { snapshotHolder: "server" }).nodes.find((n) => n.role === "snapshot")!.holder, "server");
});

test("the same state gives the same text, whatever order the delegations were listed in", async () => {
  const state = await notaryDeleg();
  const g = buildTrustGraph(state);
  assert.equal(renderMermaid(buildTrustGraph(state)), renderMermaid(g));
  const top = state.roles.get("targets")!;
  const shuffled = { ...top, file: { ...top.file, signed: { ...top.file.signed, delegations: { ...top.file.signed.delegations, roles: [...top.file.signed.delegations.roles].reverse() } } } };
  const state2 = { ...state, roles: new Map([...state.roles].map(([k, v]) => [k, k === "targets" ? shuffled : v])) };
  assert.equal(renderMermaid(buildTrustGraph(state2)), renderMermaid(g));
  assert.equal(renderDot(buildTrustGraph(state2)), renderDot(g));
});

test("metadata text is escaped: a hostile path cannot end a Mermaid label or a DOT string", () => {
  const hostile = 'a"b<c>#d&e`f\\g];x["';
  const g: TrustGraph = {
    gun: "example.com/app",
    nodes: [{ role: "targets/x-y_z", kind: "delegation", keys: ["aaaaaaaaaaaa"], threshold: 1, paths: [hostile, ""], status: "no file" }],
    edges: [],
  };
  const line = renderMermaid(g).split("\n").find((l) => l.includes("targets"))!;
  const m = /^ {2}([A-Za-z0-9_]+)\["([^"]*)"\]$/.exec(line);
  assert.ok(m, line);
  assert.equal(m[1], mermaidId("targets/x-y_z"));
  assert.equal(mermaidId("targets/x-y_z"), "targets_2fx_2dy_5fz");
  assert.doesNotMatch(m[2]!.replace(/<br\/>/g, ""), /[<>"`\\]/);
  const decoded = m[2]!.split("<br/>").map((s) => s.replace(/#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))));
  assert.deepEqual(decoded, labelLines(g.nodes[0]!));
  assert.ok(decoded.includes(`paths: ${JSON.stringify(hostile)}, all ("")`), decoded.join("|"));

  const dot = renderDot(g).split("\n").find((l) => l.startsWith('  "targets'))!;
  const d = /^ {2}"targets\/x-y_z" \[label="((?:[^"\\]|\\.)*)", style=dashed\];$/.exec(dot);
  assert.ok(d, dot);
  const lines = d[1]!.split("\\n").map((s) => s.replace(/\\(.)/g, "$1"));
  assert.deepEqual(lines, labelLines(g.nodes[0]!));
});
