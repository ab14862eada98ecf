/**
 * `pulumi-notary key generate NAME [--out DIR]`: a new ECDSA P-256 key as `docker trust key generate NAME --dir DIR`
 * makes it: `<DIR>/<keyid>.key` (notary/docker private key file, `role: NAME`, encrypted) and `<DIR>/NAME.pub`.
 */
import path from "node:path";
import { PrivateKey } from "../sdk/src/index.ts";
import { writePrivateKeyFile, writePublicKeyPem } from "../sdk/src/crypto/keyfile.ts";
import { UsageError, boolOpt, parseRepoRef, stringOpt } from "./args.ts";
import type { Command, Io, Parsed } from "./args.ts";
import { ensureDirectory, removeQuietly, writeNewFile } from "./key-files.ts";

/** docker/cli `cli/command/trust/key_generate.go › validKeyName`. */
const DOCKER_KEY_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** A signer NAME becomes the delegation `targets/NAME`, which notary wants under 256 bytes (`IsDelegation`). */
const MAX_NAME_LENGTH = 255 - "targets/".length;
/** Keys that belong to one repository: notary writes a `gun:` header for them (reference §9.1). */
const REPOSITORY_ROLES = new Set(["targets", "snapshot", "timestamp"]);

/**
 * The name rule of `docker trust key generate`, with docker's message; plus notary's length limit on the delegation
 * the name becomes (docker has none, and then fails at `signer add`).
 */
export function checkKeyName(name: string): void {
  if (!DOCKER_KEY_NAME.test(name)) {
    throw new UsageError(`key name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new UsageError(`key name is ${name.length} characters long: at most ${MAX_NAME_LENGTH}, so that "targets/NAME" is a valid delegation name`);
  }
}

/** The variables a new key's passphrase is read from, in order: ours, then docker's for this role (reference §9.4). */
export function passphraseVariables(role: string): string[] {
  return ["NOTARY_PASSPHRASE", role === "root" ? "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE" : "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"];
}

/** The passphrase and the variable it came from; empty values count as unset. */
export function choosePassphrase(env: Io["env"], role: string): { value: string; from: string } | undefined {
  for (const name of passphraseVariables(role)) {
    const value = env[name];
    if (value) return { value, from: name };
  }
  return undefined;
}

function nameOf(p: Parsed): string {
  const positional = p.positionals[0];
  const role = stringOpt(p, "role");
  if (positional !== undefined && role !== undefined && positional !== role) {
    throw new UsageError(`key generate: the name is given twice (${JSON.stringify(positional)} and --role ${JSON.stringify(role)})`);
  }
  const name = positional ?? role;
  if (name === undefined) throw new UsageError("key generate: missing NAME (the signer's name, e.g. alice)");
  checkKeyName(name);
  return name;
}

function gunOf(p: Parsed, name: string): string | undefined {
  const gun = stringOpt(p, "gun");
  if (!REPOSITORY_ROLES.has(name)) {
    if (gun !== undefined) throw new UsageError("key generate: --gun is only for targets, snapshot and timestamp keys");
    return undefined;
  }
  if (gun === undefined) throw new UsageError(`key generate: a ${name} key belongs to one repository: give its GUN with --gun`);
  const ref = parseRepoRef(gun);
  if (ref.tag !== undefined) throw new UsageError(`key generate: --gun ${JSON.stringify(gun)} has a tag; give the repository name only`);
  return ref.gun;
}

function passphraseOf(p: Parsed, io: Io, name: string): { value: string; from: string } | undefined {
  const found = choosePassphrase(io.env, name);
  if (!boolOpt(p, "unencrypted")) {
    if (found) return found;
    throw new UsageError(
      `key generate: no passphrase to encrypt the private key with: set ${passphraseVariables(name).join(" or ")}, ` +
        "or pass --unencrypted to write it unencrypted",
    );
  }
  const ignored = found ? ` (${found.from} is set and ignored)` : "";
  io.err(`pulumi-notary: warning: writing the private key UNENCRYPTED (--unencrypted)${ignored}: anyone who can read the file can sign as ${name}\n`);
  return undefined;
}

async function run(p: Parsed, io: Io): Promise<number> {
  const name = nameOf(p);
  const gun = gunOf(p, name);
  const passphrase = passphraseOf(p, io, name);
  const dir = stringOpt(p, "out") ?? ".";
  ensureDirectory(dir);
  const key = PrivateKey.generate();
  const privateKeyFile = path.join(dir, `${key.id}.key`);
  const publicKeyFile = path.join(dir, `${name}.pub`);
  const pem = writePrivateKeyFile({
    keyType: "ecdsa",
    pkcs8: key.exportPkcs8(),
    role: name,
    ...(gun !== undefined ? { gun } : {}),
    ...(passphrase ? { passphrase: passphrase.value } : {}),
  });
  // docker refuses to replace NAME.pub; so do we, before writing anything.
  writeNewFile(publicKeyFile, writePublicKeyPem(key.publicKey.public, name), 0o644);
  try {
    writeNewFile(privateKeyFile, pem, 0o600);
  } catch (e) {
    removeQuietly(publicKeyFile);
    throw e;
  }
  const result = { keyId: key.id, role: name, privateKeyFile, publicKeyFile, encrypted: passphrase !== undefined, ...(passphrase ? { passphraseFrom: passphrase.from } : {}) };
  io.out(JSON.stringify(result) + "\n");
  return 0;
}

export const keyGenerateCommand: Command = {
  name: "key generate",
  synopsis: "NAME [--out DIR] [--unencrypted] [--gun GUN]",
  summary: "A new ECDSA P-256 signing key pair, as `docker trust key generate NAME` makes it.",
  details: [
    "Writes DIR/<keyid>.key (the private key as notary and docker store it, header `role: NAME`, mode 0600) and DIR/NAME.pub " +
      "(the public key docker trust signer add takes). DIR and missing parents are created (mode 0700); an existing NAME.pub " +
      "is never replaced. Prints {keyId, role, privateKeyFile, publicKeyFile, encrypted, passphraseFrom} as JSON.",
    "NAME follows docker's rule: lowercase letters and digits, then also \"-\" and \"_\" (at most 247 characters, so targets/NAME " +
      "is a valid delegation). The private key is encrypted (PBES2, as notary writes it) with the passphrase from " +
      "NOTARY_PASSPHRASE, else DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE for NAME root); " +
      "with none set the command refuses unless --unencrypted. Passphrases are never printed.",
  ],
  options: {
    role: { type: "string", value: "NAME", help: "The same as NAME (kept for older scripts)." },
    out: { type: "string", value: "DIR", help: "Directory to write the two files to (default: the current directory)." },
    unencrypted: { type: "boolean", help: "Write the private key unencrypted (a warning is printed); only for throw-away keys." },
    gun: { type: "string", value: "GUN", help: "For NAME targets, snapshot or timestamp: the repository the key belongs to (its `gun:` header)." },
  },
  positionals: { min: 0, max: 1, what: "NAME" },
  run,
};
