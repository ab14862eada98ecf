/**
 * `pulumi-notary inspect NAME[:TAG]...`: what `docker trust inspect` prints (JSON, or `--pretty`), from a verified read,
 * plus every role's version and expiry in the JSON form, and the custom data of tags that carry some.
 */
import { inspectTrust, listTargets, roleExpiries } from "../sdk/src/index.ts";
import type { RepoState, TrustInspection } from "../sdk/src/index.ts";
import { UsageError, boolOpt, parseRepoRef, stringOpt } from "./args.ts";
import type { Command, Io, Parsed, RepoRef } from "./args.ts";
import { REMOTE_OPTIONS, fetchState } from "./remote.ts";
import { formatPretty } from "./pretty.ts";

/** The references to inspect, with `--tag` applied (it stands for the one reference's `:TAG`). */
function refsOf(p: Parsed): RepoRef[] {
  const refs = p.positionals.map(parseRepoRef);
  const tag = stringOpt(p, "tag");
  if (tag === undefined) return refs;
  if (refs.length !== 1) throw new UsageError("inspect: --tag goes with exactly one NAME; write NAME:TAG for several");
  const [ref] = refs as [RepoRef];
  if (ref.tag !== undefined && ref.tag !== tag) throw new UsageError(`inspect: the tag is given twice (${JSON.stringify(ref.tag)} and --tag ${JSON.stringify(tag)})`);
  const checked = parseRepoRef(`${ref.typed}:${tag}`);
  return [{ ...ref, tag: checked.tag ?? tag }];
}

type CustomRow = { SignedTag: string; Role: string; Digest: string; Custom: unknown };

/**
 * The custom data of the tags shown, per role that signed it (pulumi-notary's SignedTag signs provenance there). Not
 * in docker's objects: docker's JSON has no place for it, and this keeps them equal to docker's.
 */
function customRows(state: RepoState, tag: string | undefined): CustomRow[] {
  return listTargets(state).flatMap((e) =>
    e.custom === undefined || (tag !== undefined && e.name !== tag)
      ? []
      : [{ SignedTag: e.name, Role: e.role, Digest: Buffer.from(e.meta.hashes["sha256"] ?? "", "base64").toString("hex"), Custom: e.custom }],
  );
}

async function view(p: Parsed, io: Io, ref: RepoRef): Promise<{ view: TrustInspection; expiries: ReturnType<typeof roleExpiries>; custom: CustomRow[] }> {
  const state = await fetchState(p, io, ref, "inspect");
  return { view: inspectTrust(state, ref.typed, ref.tag), expiries: roleExpiries(state), custom: customRows(state, ref.tag) };
}

async function run(p: Parsed, io: Io): Promise<number> {
  const refs = refsOf(p);
  const pretty = boolOpt(p, "pretty");
  const results = [];
  // One after the other, as docker does: a failure stops the command (exit 1) before anything is printed.
  for (const ref of refs) results.push(await view(p, io, ref));
  if (pretty) {
    io.out(results.map((r) => formatPretty(r.view)).join("\n\n"));
  } else {
    // `Custom` only where a tag carries some: the output for everything docker and notary write stays as it was.
    const json = results.map((r) => ({ ...r.view, Expiries: r.expiries, ...(r.custom.length ? { Custom: r.custom } : {}) }));
    io.out(JSON.stringify(json, null, 4) + "\n");
  }
  return 0;
}

export const inspectCommand: Command = {
  name: "inspect",
  synopsis: "NAME[:TAG]... (--root-key-id ID... | --tofu) [--pretty] [--tag TAG] [--server URL] [--ca FILE]",
  summary: "Verified view of a repository's signed tags, signers and keys, as `docker trust inspect` prints it.",
  details: [
    "NAME is an image name as docker takes it (`alpine`, `127.0.0.1:5000/team/app`); its GUN is docker's normalised name " +
      "(`docker.io/library/alpine`). `:TAG` (or --tag) limits the signed tags to one tag; a registry port is not a tag. " +
      "Digests (`@sha256:…`) are refused: trust data is looked up by tag.",
    "Every file is verified (signatures, thresholds, hashes, versions, expiry) from the pinned root before anything is printed. " +
      "The JSON form is docker's, plus `Expiries`: every role with its version and expiry, and, when a tag carries custom " +
      "data (a SignedTag's provenance), `Custom`: one row per tag and role with the data. --pretty prints exactly what " +
      "`docker trust inspect --pretty` prints.",
  ],
  options: {
    pretty: { type: "boolean", help: "Print the tables `docker trust inspect --pretty` prints instead of JSON." },
    tag: { type: "string", value: "TAG", help: "Only this tag (the same as NAME:TAG)." },
    ...REMOTE_OPTIONS,
  },
  positionals: { min: 1, max: 64, what: "NAME[:TAG] (the image whose trust data to show)" },
  run,
};
