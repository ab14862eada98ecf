/**
 * `pulumi-notary graph NAME[:TAG] [--format mermaid|dot]`: the trust graph of a verified repository.
 */
import { UsageError, boolOpt, parseRepoRef, stringOpt } from "./args.ts";
import type { Command, Io, Parsed } from "./args.ts";
import { REMOTE_OPTIONS, snapshotHolder, withRepository } from "./remote.ts";
import { buildTrustGraph } from "./graph-model.ts";
import { renderDot, renderMermaid } from "./graph-render.ts";

async function run(p: Parsed, io: Io): Promise<number> {
  const format = stringOpt(p, "format") ?? "mermaid";
  if (format !== "mermaid" && format !== "dot") throw new UsageError(`graph: --format ${JSON.stringify(format)}: use mermaid or dot`);
  const ref = parseRepoRef(p.positionals[0]!);
  const graph = await withRepository(p, io, ref, "graph", async (repo) => {
    const state = await repo.fetch({ allowExpiredTargets: true });
    const holder = boolOpt(p, "ask-server") ? await snapshotHolder(repo, state, io) : "unknown";
    return buildTrustGraph(state, { snapshotHolder: holder, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) });
  });
  io.out(format === "dot" ? renderDot(graph) : renderMermaid(graph));
  return 0;
}

export const graphCommand: Command = {
  name: "graph",
  synopsis: "NAME[:TAG] (--root-key-id ID... | --tofu) [--format mermaid|dot] [--ask-server] [options]",
  summary: "The trust graph: root → targets → delegations (nested), snapshot and timestamp, as Mermaid or Graphviz DOT.",
  details: [
    "Each role shows its threshold and key IDs (12 characters; root: the certificate IDs docker shows), its paths " +
      "(delegations), its version and expiry, and whether it is expired, invalid or has no file yet. The timestamp key is " +
      "always held by the notary server. With :TAG, the roles that sign that tag show its digest. Output is deterministic: " +
      "delegations sorted by name, key IDs sorted.",
    "Render Mermaid in a ```mermaid block (GitHub, GitLab) or with mermaid-cli; DOT with `dot -Tsvg`.",
  ],
  options: {
    format: { type: "string", value: "FORMAT", help: "mermaid (default) or dot." },
    "ask-server": {
      type: "boolean",
      help:
        "Ask the server whether it holds the snapshot key (GET snapshot.key; needs push access). When it does not, " +
        "notary-server creates and keeps an unused key for the request, so this is not done unless asked.",
    },
    ...REMOTE_OPTIONS,
  },
  positionals: { min: 1, max: 1, what: "NAME[:TAG] (the image whose trust graph to draw)" },
  run,
};
