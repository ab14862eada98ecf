/**
 * Property values as the engine carries them: the unknown sentinel of a preview, and secrets as signature objects
 * (`{[SIG_KEY]: SECRET_SIG, value}`). `fromExport` reads the form `pulumi stack export --show-secrets` writes
 * (`{[SIG_KEY]: SECRET_SIG, plaintext: "<JSON>"}`).
 */

/** The string the engine sends for an unknown (computed) value during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Signature key / value of a secret property value on the wire (`{[SIG_KEY]: SECRET_SIG, value}`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type PropertyMap = Record<string, unknown>;
export interface SecretValue {
  [SIG_KEY]: typeof SECRET_SIG;
  value: unknown;
}

/** Wrap a value as a wire secret (what the engine / the mock monitor uses for secrets). */
export function secret(value: unknown): SecretValue {
  return { [SIG_KEY]: SECRET_SIG, value } as SecretValue;
}

export function isSecret(v: unknown): v is SecretValue {
  return typeof v === "object" && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True if `v` is or contains a secret signature object. */
export function containsSecrets(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (isPlainObject(v)) return Object.values(v).some(containsSecrets);
  return false;
}

/** True if `v` is or contains the unknown sentinel. */
export function containsUnknowns(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknowns);
  if (isPlainObject(v)) return Object.values(v).some(containsUnknowns);
  return false;
}

/** Deep copy with every secret signature object replaced by its plain value (MarshalProperties, KeepSecrets=false). */
export function stripSecrets<T>(v: T): T {
  if (isSecret(v)) return stripSecrets(v.value) as T;
  if (Array.isArray(v)) return v.map((x) => stripSecrets(x)) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripSecrets(x);
    return out as T;
  }
  return v;
}

/** A value of `pulumi stack export --show-secrets` with each secret as `{[SIG_KEY]: SECRET_SIG, value}`. */
export function fromExport(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromExport);
  if (!isPlainObject(v)) return v;
  if (v[SIG_KEY] === SECRET_SIG) {
    if (typeof v["plaintext"] === "string") return secret(fromExport(JSON.parse(v["plaintext"])));
    return secret("value" in v ? fromExport(v["value"]) : v["ciphertext"]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fromExport(x);
  return out;
}
