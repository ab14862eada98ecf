/** The Key's inputs: a private key to import (with its passphrase), or none to generate one. */
import { z } from "zod";
import { failuresOf, type CheckFailure } from "./failures.ts";
import { privateKeyProblem, text } from "./fields.ts";
import { isUnknown } from "./unknown.ts";

export const keyInputs = z.object({
  /** A private key PEM to import (PKCS#8, EC PRIVATE KEY, or a notary/docker key file). Omit to generate a P-256 key. */
  pem: z.custom<string>(() => true).optional(), // read by `readable` below, with the passphrase
  /** Passphrase of an encrypted key file. */
  passphrase: text.optional(),
  /** The role this key is meant for (informational). */
  role: text.optional(),
});
export type KeyInputs = z.infer<typeof keyInputs>;

/** The PEM can be read, with the passphrase when one is given (the passphrase is never in the reason). */
function readable({ pem, passphrase }: { pem?: unknown; passphrase?: unknown }): CheckFailure[] {
  if (pem === undefined || isUnknown(pem) || isUnknown(passphrase) || (passphrase !== undefined && typeof passphrase !== "string")) return [];
  const reason = privateKeyProblem(pem, "pem", passphrase);
  return reason === undefined ? [] : [{ property: "pem", reason }];
}

export function checkKey(news: unknown): CheckFailure[] {
  return [...failuresOf(keyInputs, news), ...readable((news ?? {}) as KeyInputs)];
}
