#!/usr/bin/env node
// pulumi-notary CLI: a small non-interactive companion to the SDK.
//
//   pulumi-notary inspect <gun> [--server URL] [--ca FILE] [--root-key-id ID ... | --tofu] [--tag TAG]
//       Verified view of a repository, as `docker trust inspect` prints it, plus every role's version and expiry.
//   pulumi-notary key generate [--role NAME] [--out DIR]
//       A new ECDSA P-256 key: <DIR>/<keyid>.key (notary/docker key file, encrypted with $NOTARY_PASSPHRASE when
//       set) and <DIR>/<NAME>.pub (docker's public key file).
//
// Server and credentials: --server, else DOCKER_CONTENT_TRUST_SERVER; NOTARY_AUTH or docker's config.json.
import "../sdk/src/node-version.ts"; // first: a clear message on an older Node.js, before any dependency loads
import { parseArgs } from "node:util";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { NotaryClient, PrivateKey, inspectTrust, roleExpiries, isNotaryError } from "../sdk/src/index.ts";
import { writePrivateKeyFile, writePublicKeyPem } from "../sdk/src/crypto/keyfile.ts";

const USAGE = `usage:
  pulumi-notary inspect <gun> [--server URL] [--ca FILE] [--root-key-id ID ...] [--tofu] [--tag TAG]
  pulumi-notary key generate [--role NAME] [--out DIR]`;

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      ca: { type: "string" },
      "root-key-id": { type: "string", multiple: true },
      tofu: { type: "boolean" },
      tag: { type: "string" },
    },
  });
  const gun = positionals[0];
  const url = values.server ?? process.env["DOCKER_CONTENT_TRUST_SERVER"];
  if (!gun || !url) {
    console.error(`pulumi-notary: inspect needs a GUN and --server (or DOCKER_CONTENT_TRUST_SERVER)\n${USAGE}`);
    return 2;
  }
  const pins = values["root-key-id"] ?? [];
  if (pins.length === 0 && !values.tofu) {
    console.error("pulumi-notary: pin the root with --root-key-id (as docker trust inspect shows it), or pass --tofu to trust on first use");
    return 2;
  }
  const client = new NotaryClient({ url, ...(values.ca ? { tls: { ca: readFileSync(values.ca, "utf8") } } : {}) });
  try {
    const state = await client.repository(gun, { anchor: pins.length ? { rootKeyIds: pins } : { tofu: true } }).fetch();
    console.log(JSON.stringify([{ ...inspectTrust(state, gun, values.tag), Expiries: roleExpiries(state) }], null, 4));
    return 0;
  } finally {
    await client.close();
  }
}

function keyGenerate(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { role: { type: "string" }, out: { type: "string" } } });
  const role = values.role ?? "signer";
  const dir = values.out ?? ".";
  mkdirSync(dir, { recursive: true });
  const key = PrivateKey.generate();
  const passphrase = process.env["NOTARY_PASSPHRASE"];
  const file = path.join(dir, `${key.id}.key`);
  writeFileSync(file, writePrivateKeyFile({ keyType: "ecdsa", pkcs8: key.exportPkcs8(), role, ...(passphrase ? { passphrase } : {}) }), { mode: 0o600 });
  writeFileSync(path.join(dir, `${role}.pub`), writePublicKeyPem(key.publicKey.public, role), { mode: 0o644 });
  console.log(JSON.stringify({ keyId: key.id, privateKeyFile: file, publicKeyFile: path.join(dir, `${role}.pub`), encrypted: !!passphrase }));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "inspect") return inspect(rest);
  if (cmd === "key" && rest[0] === "generate") return keyGenerate(rest.slice(1));
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`pulumi-notary: ${isNotaryError(e) ? `${e.code}: ` : ""}${(e as Error).message}`);
    process.exit(1);
  },
);
