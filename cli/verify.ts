/**
 * `pulumi-notary verify NAME:TAG --root-key-id ID [--signer NAME]... [--key-id ID]... [--threshold N]`: for CI, the
 * digest a tag is signed to, only when it is signed as required. Prints `NAME@sha256:…` (exit 0), or the reason
 * (VERIFICATION_FAILED: what was required, what each role signs, what to do) on stderr with exit 1.
 */
import { verifyTag } from "../sdk/src/index.ts";
import { UsageError, listOpt, parseRepoRef, stringOpt } from "./args.ts";
import type { Command, Io, Parsed } from "./args.ts";
import { REMOTE_OPTIONS, fetchState } from "./remote.ts";

const { tofu: _tofu, ...PINNED_REMOTE } = REMOTE_OPTIONS;

function thresholdOf(p: Parsed): number | undefined {
  const t = stringOpt(p, "threshold");
  if (t === undefined) return undefined;
  if (!/^[1-9]\d{0,3}$/.test(t)) throw new UsageError(`verify: --threshold ${JSON.stringify(t)}: give a whole number ≥ 1`);
  return Number(t);
}

async function run(p: Parsed, io: Io): Promise<number> {
  const ref = parseRepoRef(p.positionals[0]!);
  if (ref.tag === undefined) throw new UsageError("verify: give the tag to verify, NAME:TAG (trust data is looked up by tag)");
  if (listOpt(p, "root-key-id").length === 0) {
    throw new UsageError("verify: pin the root with --root-key-id (the Root key ID docker trust inspect shows); a verification trusts nothing on first use");
  }
  const digest = stringOpt(p, "digest");
  const threshold = thresholdOf(p);
  const policy = {
    signers: listOpt(p, "signer"),
    keyIds: listOpt(p, "key-id"),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
  const state = await fetchState(p, io, ref, "verify");
  const verified = verifyTag(state, ref.tag, policy);
  io.out(`${ref.typed}@${verified.digest}\n`);
  return 0;
}

export const verifyCommand: Command = {
  name: "verify",
  synopsis: "NAME:TAG --root-key-id ID... [--signer NAME]... [--key-id ID]... [--threshold N] [--digest sha256:HEX] [--server URL] [--ca FILE]",
  summary: "Print NAME@sha256:… when the tag is signed as required (pinned root, signers or keys, threshold, unexpired); exit 1 with the reason otherwise.",
  details: [
    "For CI and deployment scripts: deploy the printed digest reference, never the tag. The trust data is verified from the " +
      "pinned root (signatures, thresholds, hashes, versions, expiry); only roles that verified and have not expired count, " +
      "within their delegated paths.",
    "The digest is the one docker's trusted pull resolves (targets/releases, then targets), or the one --digest names. " +
      "With no --signer or --key-id, the tag only has to be signed. Otherwise --threshold N (default 1) of the named " +
      "signers and keys, counted distinct, must sign that digest for the tag: a signer when its role lists the tag with " +
      "that digest, a key when it validly signed a role that does.",
    "On failure, stderr holds one line `VERIFICATION_FAILED: …`: what was required, what each role signs (another digest, " +
      "nothing, expired, never signed), and what to do.",
  ],
  options: {
    signer: {
      type: "string",
      multiple: true,
      value: "NAME",
      help: "A signer that must sign: a docker signer name as `docker trust inspect` lists it (alice = role targets/alice), or a role name (targets/releases, targets). Repeat for several.",
    },
    "key-id": {
      type: "string",
      multiple: true,
      value: "ID",
      help: "A key that must have signed a role signing the digest: its ID as `docker trust inspect` lists signers' keys, or its TUF key ID. Repeat for several.",
    },
    threshold: { type: "string", value: "N", help: "How many of the named signers and keys, counted distinct, must sign (default 1)." },
    digest: { type: "string", value: "sha256:HEX", help: "The digest the tag must be signed to (default: the one docker's trusted pull resolves)." },
    ...PINNED_REMOTE,
  },
  positionals: { min: 1, max: 1, what: "NAME:TAG (the image tag to verify)" },
  run,
};
