/**
 * Validation of caller input before anything is signed or sent: every change of a publish (`validateChanges`, also
 * run by `applyChange` on each change), the expiry policy and the version floor of a repository handle. Pure.
 *
 * Each failure is a NotaryError naming the field (`changes[2].meta.length`), what is wrong with the value and what to
 * do. Codes: INPUT_INVALID for values; CANONICAL_JSON_UNSUPPORTED for strings and numbers signed metadata cannot hold;
 * ROLE_NAME_INVALID for malformed role names; METADATA_INVALID_CHANGE for a role the change cannot apply to and for
 * thresholds (the codes applyChange has always used for those).
 */
import { BASE_ROLES, assertDelegationName, isDelegationName } from "./roles.ts";
import { checkKeyList, checkTargetMeta, checkText, isPlainObject, refuse, shown } from "./validate-values.ts";

const CHANGE_TYPES = [
  "setTarget",
  "removeTarget",
  "setDelegation",
  "removeDelegation",
  "addDelegationKeys",
  "removeDelegationKeys",
  "witness",
  "rotateKey",
] as const;

const isBaseRole = (r: string): boolean => (BASE_ROLES as readonly string[]).includes(r);

function checkRoleString(role: unknown, field: string): asserts role is string {
  if (typeof role !== "string") refuse("INPUT_INVALID", field, `is ${shown(role)}`, `give a role name ("targets" or "targets/<name>")`);
}

/** `targets` or a delegation: the roles that hold targets. */
function checkTargetsRole(role: unknown, field: string): void {
  checkRoleString(role, field);
  if (role === "targets" || isDelegationName(role)) return;
  if (isBaseRole(role)) refuse("METADATA_INVALID_CHANGE", field, `is "${role}", which cannot hold targets`, `use "targets" or a delegation ("targets/<name>")`);
  assertDelegationName(role, field);
}

function checkDelegation(name: unknown, field: string): void {
  checkRoleString(name, field);
  if (isBaseRole(name)) refuse("METADATA_INVALID_CHANGE", field, `is "${name}", a top-level role`, `delegations are named "targets/<name>"`);
  assertDelegationName(name, field);
}

function checkThreshold(threshold: unknown, nKeys: number, field: string): void {
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1 || threshold > nKeys) {
    refuse("METADATA_INVALID_CHANGE", field, `is ${shown(threshold)}`, `a threshold is a whole number from 1 to the number of keys given (${nKeys})`);
  }
}

function checkPaths(paths: unknown, field: string): void {
  if (!Array.isArray(paths)) refuse("INPUT_INVALID", field, `is ${shown(paths)}, not a list`, `give path prefixes as strings ([""] means every target)`);
  paths.forEach((p, i) => {
    if (typeof p !== "string") refuse("INPUT_INVALID", `${field}[${i}]`, `is ${shown(p)}`, `give path prefixes as strings ([""] means every target)`);
    checkText(p, `${field}[${i}]`);
  });
}

function checkKeyIds(ids: unknown, field: string): void {
  const fix = "give key IDs as 64 lowercase hex digits (TUF or canonical IDs, as `notary key list` and docker show them)";
  if (!Array.isArray(ids) || ids.length === 0) refuse("INPUT_INVALID", field, Array.isArray(ids) ? "is empty" : `is ${shown(ids)}`, `at least one key ID is needed: ${fix}`);
  ids.forEach((id, i) => {
    if (typeof id !== "string" || !/^[0-9a-f]{64}$/.test(id)) refuse("INPUT_INVALID", `${field}[${i}]`, `is ${shown(id)}`, fix);
  });
}

function checkTargetName(name: unknown, field: string): void {
  if (typeof name !== "string" || name === "") refuse("INPUT_INVALID", field, `is ${shown(name)}`, "a target needs a non-empty name (the tag, e.g. \"v1\")");
  checkText(name, field);
}

/**
 * Throw unless `change` is well-formed: known type, valid role names, target name and metadata, key lists, threshold
 * and paths. Nothing here depends on the repository's state (whether a role exists is applyChange's question).
 *
 * @example
 * validateChange({ type: "setTarget", role: "targets", name: "v1", meta: { length: -5, hashes } }, "changes[0]");
 * // INPUT_INVALID: changes[0].meta.length is -5: …
 */
export function validateChange(change: unknown, field = "change"): void {
  if (!isPlainObject(change)) refuse("INPUT_INVALID", field, `is ${shown(change)}, not a change`, `give an object such as { type: "setTarget", role, name, meta }`);
  const c = change;
  const type = c["type"];
  if (!(CHANGE_TYPES as readonly unknown[]).includes(type)) refuse("INPUT_INVALID", `${field}.type`, `is ${shown(type)}`, `use one of ${CHANGE_TYPES.join(", ")}`);
  const at = (k: string): string => `${field}.${k}`;
  switch (type as (typeof CHANGE_TYPES)[number]) {
    case "setTarget":
      checkTargetsRole(c["role"], at("role"));
      checkTargetName(c["name"], at("name"));
      return checkTargetMeta(c["meta"], at("meta"));
    case "removeTarget":
      checkTargetsRole(c["role"], at("role"));
      // Any name may be removed (what another tool published), but it must be a name.
      if (typeof c["name"] !== "string") refuse("INPUT_INVALID", at("name"), `is ${shown(c["name"])}`, "give the target's name");
      return;
    case "setDelegation":
      checkDelegation(c["name"], at("name"));
      checkKeyList(c["keys"], at("keys"));
      checkThreshold(c["threshold"], (c["keys"] as unknown[]).length, at("threshold"));
      return checkPaths(c["paths"], at("paths"));
    case "addDelegationKeys":
      checkDelegation(c["name"], at("name"));
      checkKeyList(c["keys"], at("keys"));
      return c["paths"] === undefined ? undefined : checkPaths(c["paths"], at("paths"));
    case "removeDelegationKeys":
      checkDelegation(c["name"], at("name"));
      return checkKeyIds(c["keyIds"], at("keyIds"));
    case "removeDelegation":
      return checkDelegation(c["name"], at("name"));
    case "witness":
      checkRoleString(c["role"], at("role"));
      if (c["role"] === "timestamp") refuse("METADATA_INVALID_CHANGE", at("role"), `is "timestamp"`, "notary-server signs the timestamp itself: witness root, targets, snapshot or a delegation");
      return c["role"] === "root" || c["role"] === "snapshot" ? undefined : checkTargetsRole(c["role"], at("role"));
    case "rotateKey":
      checkRoleString(c["role"], at("role"));
      if (!isBaseRole(c["role"])) {
        if (isDelegationName(c["role"])) refuse("METADATA_INVALID_CHANGE", at("role"), `is "${c["role"]}", a delegation`, "set a delegation's keys with setDelegation");
        refuse("ROLE_NAME_INVALID", at("role"), `is ${shown(c["role"])}`, "rotateKey replaces the keys of root, targets, snapshot or timestamp");
      }
      checkKeyList(c["keys"], at("keys"));
      return c["threshold"] === undefined ? undefined : checkThreshold(c["threshold"], (c["keys"] as unknown[]).length, at("threshold"));
  }
}

/** Throw unless every change is well-formed (see validateChange); the error names the change by its index. */
export function validateChanges(changes: unknown, field = "changes"): void {
  if (!Array.isArray(changes)) {
    refuse("INPUT_INVALID", field, `is ${shown(changes)}`, "give a list of changes, or a function of the verified state returning one");
  }
  changes.forEach((c, i) => validateChange(c, `${field}[${i}]`));
}

const POLICY_ROLES = ["root", "targets", "snapshot", "delegation"] as const;
/** The last instant RFC 3339 (and Go's time.Time.MarshalJSON) can write: year 9999. */
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Throw unless a lifetime (ms) gives an expiry after `now` that RFC 3339 can write. Every expiry this SDK signs is
 * `now + lifetime`, so this is what keeps expiries given by callers in the future.
 */
export function assertLifetime(ms: unknown, now: Date, field: string): asserts ms is number {
  const fix = "a lifetime is a whole number of milliseconds > 0 (e.g. 30 * 24 * 3600 * 1000 for 30 days), so that the expiry lies in the future";
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms <= 0) {
    refuse("INPUT_INVALID", field, `is ${shown(ms)}${typeof ms === "number" && ms <= 0 ? ", which gives an expiry in the past" : ""}`, fix);
  }
  if (now.getTime() + ms > LAST_INSTANT) {
    refuse("INPUT_INVALID", field, `is ${ms}, which gives an expiry after the year 9999`, "RFC 3339 (and Go) cannot write such a time: give a shorter lifetime");
  }
}

/** Throw unless `policy` is an ExpiryPolicy of valid lifetimes (RepositoryOptions.expiry). */
export function validateExpiryPolicy(policy: unknown, now: Date, field = "expiry"): void {
  if (!isPlainObject(policy)) refuse("INPUT_INVALID", field, `is ${shown(policy)}`, `give lifetimes in milliseconds by role, e.g. { targets: 90 * DAY_MS }`);
  for (const [k, v] of Object.entries(policy)) {
    if (!(POLICY_ROLES as readonly string[]).includes(k)) {
      refuse("INPUT_INVALID", `${field}.${k}`, "is not a lifetime this SDK sets", `use ${POLICY_ROLES.join(", ")} (milliseconds; notary-server sets the timestamp's)`);
    }
    if (v !== undefined) assertLifetime(v, now, `${field}.${k}`);
  }
}

/** Throw unless `floor` maps role names to versions (whole numbers ≥ 1), as `repo.floor` gives them. */
export function validateFloor(floor: unknown, field = "floor"): void {
  if (!isPlainObject(floor)) refuse("INPUT_INVALID", field, `is ${shown(floor)}`, "give versions by role name, as repo.floor returns them");
  for (const [role, v] of Object.entries(floor)) {
    if (!isBaseRole(role) && !isDelegationName(role)) {
      refuse("INPUT_INVALID", `${field}[${JSON.stringify(role)}]`, "is not a role name", "floors are kept by role: root, timestamp, snapshot, targets or targets/<name>");
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
      refuse("INPUT_INVALID", `${field}[${JSON.stringify(role)}]`, `is ${shown(v)}`, "a version is a whole number ≥ 1 (carry repo.floor from an earlier process as it is)");
    }
  }
}
