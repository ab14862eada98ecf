// Shared by the rules-*.test.ts files: keys, and the runners of their tables. Each table row is one check or diff
// rule: its inputs (and olds), and what the rule alone must answer, so removing the rule fails its row.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyJsonId, keyToJson } from "../../../sdk/src/index.ts";
import { formatGoTime } from "../../../sdk/src/metadata/time.ts";
import type { CheckFailure } from "../../../provider/src/inputs/failures.ts";
import type { DiffResult } from "../../../provider/src/runtime/checks.ts";

export { UNKNOWN } from "../../../provider/src/inputs/unknown.ts";

export const NOW = new Date("2026-11-22T00:00:00Z");
export const inDays = (d: number) => formatGoTime(new Date(NOW.getTime() + d * 86_400_000));

export const newKey = () => PrivateKey.generate();
export const pem = (k: PrivateKey) => k.exportPkcs8Pem();
export const pubPem = (k: PrivateKey) => `-----BEGIN PUBLIC KEY-----\n${Buffer.from(k.publicKey.public).toString("base64")}\n-----END PUBLIC KEY-----\n`;
/** The TUF key ID of a public key (what delegations list). */
export const tufId = (k: PrivateKey) => keyJsonId(keyToJson(k.publicKey));
export const ed25519Pem = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

export const GUN = "example.com/team/app";
export const PIN = { gun: GUN, trustedRootSha256: "e".repeat(64) };

/** `[what, change of the valid inputs, expected [property, reason][]]`; a reason is matched as a regular expression. */
export type CheckRow = [string, Record<string, unknown>, [string, RegExp][]];

export function checkRows(check: (news: unknown) => CheckFailure[], ok: Record<string, unknown>, rows: CheckRow[]): void {
  for (const [what, change, want] of rows) {
    const got = check({ ...ok, ...change });
    const props = (f: { property: string }[]) => f.map((x) => x.property).sort();
    assert.deepEqual(props(got), want.map(([p]) => p).sort(), `${what}: ${JSON.stringify(got)}`);
    for (const [property, reason] of want) {
      assert.ok(got.some((f) => f.property === property && reason.test(f.reason)), `${what}: ${property} ${reason} in ${JSON.stringify(got)}`);
    }
  }
}

/** `[what, change of the news, change of the olds, expected changes, expected replaces]`. */
export type DiffRow = [string, Record<string, unknown>, Record<string, unknown>, boolean, string[]?];

export function diffRows<O, I>(diff: (olds: O, news: I) => DiffResult, olds: O, news: I, rows: DiffRow[], deleteBeforeReplace = true): void {
  for (const [what, newsChange, oldsChange, changes, replaces] of rows) {
    const d = diff({ ...olds, ...oldsChange }, { ...news, ...newsChange });
    assert.equal(d.changes, changes, what);
    assert.deepEqual(d.replaces, replaces, what);
    if (replaces) assert.equal(d.deleteBeforeReplace, deleteBeforeReplace, `${what}: deleteBeforeReplace`);
  }
}
