/** Key: generate an ECDSA P-256 key, or import a PEM / notary or docker key file (with its passphrase). No network. */
import { PrivateKey, canonicalKeyId } from "../../../sdk/src/index.ts";
import { parsePrivateKey, plain, publicKeyPem } from "./common.ts";
import type { DiffResult } from "./checks.ts";
import type { KeyInputs } from "../inputs/key.ts";

export type KeyOutputs = KeyInputs & { keyId: string; keyType: string; publicKeyPem: string; privateKeyPem: string };

export function diffKey(olds: KeyOutputs, news: KeyInputs): DiffResult {
  const replaces = (["pem", "passphrase"] as const).filter((f) => (news[f] ?? "") !== (olds[f] ?? ""));
  return replaces.length ? { changes: true, replaces, deleteBeforeReplace: false } : { changes: (news.role ?? "") !== (olds.role ?? "") };
}

export function createKey(inputs: KeyInputs): { id: string; outs: KeyOutputs } {
  const k = inputs.pem ? parsePrivateKey(inputs.pem, "pem", inputs.passphrase) : PrivateKey.generate();
  const outs = plain({
    ...inputs,
    keyId: canonicalKeyId(k.publicKey),
    keyType: k.keyType,
    publicKeyPem: publicKeyPem(k.publicKey),
    privateKeyPem: k.exportPkcs8Pem(),
  });
  return { id: outs.keyId, outs };
}
