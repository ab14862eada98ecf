/**
 * The options every reading command shares (server, TLS CA, trust anchor) and the one verified read they lead to.
 * The server defaults the way docker picks it (`cli/trust/trust.go › Server`, reference §8.3); credentials come from
 * NOTARY_AUTH or docker's config.json for the image's registry, as the SDK resolves them.
 */
import { readFileSync } from "node:fs";
import { NotaryClient, isNotaryError, keyJsonId } from "../sdk/src/index.ts";
import type { RepoState, Repository, TrustAnchor } from "../sdk/src/index.ts";
import { CommandFailure, UsageError, listOpt, boolOpt, stringOpt } from "./args.ts";
import type { Io, OptionSpec, Parsed, RepoRef } from "./args.ts";
import type { KeyHolder } from "./graph-model.ts";

export const REMOTE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  server: {
    type: "string",
    value: "URL",
    help:
      "Notary server, e.g. https://notary.example.com:4443. Default: $DOCKER_CONTENT_TRUST_SERVER, else what docker uses " +
      "for the image's registry (https://notary.docker.io for Docker Hub, https://<registry host> otherwise).",
  },
  ca: { type: "string", value: "FILE", help: "PEM file of the CA certificate(s) to trust for the server's TLS certificate, or the PEM text itself as --ca=\"$(cat ca.pem)\" (default: the system's CAs)." },
  "root-key-id": {
    type: "string",
    multiple: true,
    value: "ID",
    help: "Pin the repository's root: a Root key ID as `docker trust inspect` shows it, or the root private key's ID. Repeat for several.",
  },
  tofu: { type: "boolean", help: "Trust the root the server has now (trust on first use) instead of pinning it with --root-key-id." },
};

/** docker's choice of trust server: DOCKER_CONTENT_TRUST_SERVER, notary.docker.io for Docker Hub, else the registry. */
export function serverUrlFor(p: Parsed, io: Io, ref: RepoRef): string {
  const explicit = stringOpt(p, "server") ?? (io.env["DOCKER_CONTENT_TRUST_SERVER"] || undefined);
  if (explicit !== undefined) return explicit;
  return ref.registry === "docker.io" ? "https://notary.docker.io" : `https://${ref.registry}`;
}

/** The trust anchor asked for on the command line; refusing to guess one. */
export function anchorOf(p: Parsed, command: string): TrustAnchor {
  const pins = listOpt(p, "root-key-id");
  if (pins.length > 0 && boolOpt(p, "tofu")) throw new UsageError(`${command}: give either --root-key-id or --tofu, not both`);
  if (pins.length > 0) return { rootKeyIds: pins };
  if (boolOpt(p, "tofu")) return { tofu: true };
  throw new UsageError(
    `${command}: pin the root with --root-key-id (the Root key ID docker trust inspect shows), or pass --tofu to trust on first use`,
  );
}

function readCa(file: string): string {
  if (file.includes("-----BEGIN")) return file; // the certificate's text given instead of a path
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new CommandFailure(`cannot read the CA file ${file}: ${(e as Error).message}`);
  }
}

/**
 * Runs `fn` with the repository handle of `ref` (client closed afterwards).
 * @example await withRepository(p, io, ref, "inspect", (repo) => repo.fetch());
 */
export async function withRepository<T>(p: Parsed, io: Io, ref: RepoRef, command: string, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const anchor = anchorOf(p, command);
  const url = serverUrlFor(p, io, ref);
  const caFile = stringOpt(p, "ca");
  const client = new NotaryClient({
    url,
    registryHost: ref.registry,
    env: io.env,
    now: io.now,
    ...(caFile !== undefined ? { tls: { ca: readCa(caFile) } } : {}),
  });
  try {
    return await fn(client.repository(ref.gun, { anchor }));
  } finally {
    await client.close();
  }
}

/** A verified read of the whole repository (an expired top-level targets is returned, marked, for `expiry`). */
export function fetchState(p: Parsed, io: Io, ref: RepoRef, command: string, opts: { allowExpiredTargets?: boolean } = {}): Promise<RepoState> {
  return withRepository(p, io, ref, command, (repo) => repo.fetch(opts));
}

/**
 * Whether notary-server holds the snapshot key root lists: `GET snapshot.key` answers the key it holds. Opt-in, because
 * when it holds none notary-server makes (and keeps) a new key for the request (reference §6), and because the
 * endpoint wants push access.
 */
export async function snapshotHolder(repo: Repository, state: RepoState, io: Io): Promise<KeyHolder> {
  try {
    const key = await repo.server.getServerKey("snapshot");
    return state.root.signed.roles["snapshot"]?.keyids.includes(keyJsonId(key)) ? "server" : "client";
  } catch (e) {
    io.err(`pulumi-notary: could not ask the server for its snapshot key: ${isNotaryError(e) ? `${e.code}: ` : ""}${(e as Error).message}\n`);
    return "unanswered";
  }
}
