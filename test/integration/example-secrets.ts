/**
 * The leak scans of the example tests: every private key seen in a state is remembered by the fragments that betray
 * it, so that no command output, log or raw state export can hold it, in any usual encoding, outside a secret.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { isSecret } from "../support/wire.ts";
import type { StackEntry } from "./example-stack.ts";

export class KeyScanner {
  readonly fragments = new Set<string>();

  /** Remember a private key PEM. */
  track(pem: string): void {
    for (const f of keyFragments(pem)) this.fragments.add(f);
  }

  /** Does `text` contain a known private key (PEM body, raw scalar in hex/base64/base64url), line breaks ignored? */
  holds(text: string): boolean {
    const flat = text.replace(/\\r|\\n|\s/g, "");
    for (const f of this.fragments) if (flat.includes(f)) return true;
    return false;
  }

  /**
   * Every PEM private key in the state's inputs and outputs is inside a secret, and no non-secret value holds a known
   * private key in any encoding. The keys found are remembered.
   */
  assertStateSecrets(resources: Iterable<StackEntry>): void {
    const walk = (v: unknown, where: string, inSecret: boolean): void => {
      if (isSecret(v)) return walk(v.value, where, true);
      if (typeof v === "string") {
        if (/PRIVATE KEY-----/.test(v)) {
          assert.ok(inSecret, `${where} holds a PEM private key outside a secret`);
          this.track(v);
        } else if (!inSecret) assert.ok(!this.holds(v), `${where} holds private key material outside a secret`);
        return;
      }
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`, inSecret));
      if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`, inSecret);
    };
    for (const e of resources) {
      walk(e.inputs, `${e.name} (${e.type}) inputs`, false);
      walk(e.outputs, `${e.name} (${e.type}) outputs`, false);
    }
  }

  /** No PEM private key marker, known key material or any of `passphrases` in `texts`. */
  assertNoLeaks(texts: { what: string; text: string }[], passphrases: string[]): void {
    assert.ok(this.fragments.size > 0, "private keys were seen (the scan is not vacuous)");
    for (const { what, text } of texts) {
      assert.doesNotMatch(text, /PRIVATE KEY-----/, `${what} contains a PEM private key`);
      assert.ok(!this.holds(text), `${what} contains private key material`);
      for (const p of passphrases) assert.ok(!text.includes(p), `${what} contains a stack passphrase`);
    }
  }
}

/**
 * Strings that betray a private key PEM: its private scalar as hex, base64 and base64url, and the part of the PEM's
 * base64 body that encodes only the scalar (the rest of a PKCS#8 body is a constant header and the public key, which
 * legitimately appears in certificates and key IDs). Unreadable (e.g. encrypted) PEMs give none.
 */
export function keyFragments(pem: string): string[] {
  let d: Buffer;
  try {
    const jwk = createPrivateKey(pem).export({ format: "jwk" });
    if (!jwk.d) return [];
    d = Buffer.from(jwk.d, "base64url");
  } catch {
    return [];
  }
  const out = [d.toString("hex"), d.toString("base64").slice(0, 40), d.toString("base64url").slice(0, 40)];
  const m = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/.exec(pem);
  if (m) {
    const b64 = m[1]!.split(/\r?\n/).filter((l) => !l.includes(":")).join("").replace(/\s/g, "");
    const der = Buffer.from(b64, "base64");
    const at = der.indexOf(d);
    if (at >= 0) {
      const from = Math.ceil(at / 3);
      const to = Math.floor((at + d.length) / 3);
      if (to - from >= 6) out.push(b64.slice(from * 4, to * 4));
    }
  }
  return out;
}
