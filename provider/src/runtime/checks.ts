/** Input validation shared by the providers' `check` (no network), and the diff result shape. */
import { isDelegationName, isNotaryError } from "../../../sdk/src/index.ts";
import { assertGun } from "../../../sdk/src/metadata/roles.ts";
import { isUnknown, parsePublicKey, parsePrivateKey } from "./common.ts";

export type CheckFailure = { property: string; reason: string };
export type DiffResult = { changes: boolean; replaces?: string[]; deleteBeforeReplace?: boolean };

export function assertGunInput(gun: unknown, field: string, f: CheckFailure[]): void {
  if (isUnknown(gun)) return;
  if (typeof gun !== "string") return void f.push({ property: field, reason: "is required: the repository name, e.g. registry.example.com/team/app" });
  try {
    assertGun(gun);
  } catch (e) {
    f.push({ property: field, reason: (e as Error).message });
  }
}

export function checkRoleName(name: unknown, field: string, f: CheckFailure[], allowTargets = false): void {
  if (isUnknown(name)) return;
  if (typeof name !== "string" || !(isDelegationName(name) || (allowTargets && name === "targets"))) {
    f.push({
      property: field,
      reason: `${JSON.stringify(name)} is not a valid role: use "targets/<name>" with lowercase letters, digits, "-", "_" and "/"${allowTargets ? ', or "targets"' : ""}`,
    });
  }
}

export function checkPublicKeys(keys: unknown, field: string, f: CheckFailure[]): number {
  if (isUnknown(keys)) return -1;
  if (!Array.isArray(keys) || keys.length === 0) {
    f.push({ property: field, reason: "needs at least one public key PEM (PUBLIC KEY or CERTIFICATE)" });
    return 0;
  }
  keys.forEach((k, i) => {
    if (isUnknown(k)) return;
    try {
      parsePublicKey(k as string, `${field}[${i}]`);
    } catch (e) {
      f.push({ property: `${field}[${i}]`, reason: (e as Error).message });
    }
  });
  return keys.length;
}

export function checkPrivateKeys(keys: unknown, field: string, f: CheckFailure[]): void {
  if (isUnknown(keys)) return;
  const list = typeof keys === "string" ? [keys] : keys;
  if (!Array.isArray(list) || list.length === 0) return void f.push({ property: field, reason: "needs at least one private key PEM" });
  list.forEach((k, i) => {
    if (isUnknown(k)) return;
    try {
      parsePrivateKey(k as string, `${field}[${i}]`);
    } catch (e) {
      f.push({ property: `${field}[${i}]`, reason: isNotaryError(e) ? e.message : "cannot be read as a private key" });
    }
  });
}

export function checkThreshold(threshold: unknown, nKeys: number, field: string, f: CheckFailure[]): void {
  if (threshold === undefined || isUnknown(threshold)) return;
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1) {
    return void f.push({ property: field, reason: "must be a whole number ≥ 1" });
  }
  if (nKeys >= 0 && threshold > nKeys) f.push({ property: field, reason: `is ${threshold} but only ${nKeys} key(s) are given` });
}

export function checkPaths(paths: unknown, field: string, f: CheckFailure[]): void {
  if (paths === undefined || isUnknown(paths)) return;
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== "string" || /[\u0000-\u001f]/.test(p))) {
    f.push({ property: field, reason: 'must be a list of path prefixes (strings; "" means all paths)' });
  }
}
