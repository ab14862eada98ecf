/**
 * Field schemas the resources share: text and flags, the GUN, private and public key PEMs, roles, thresholds, path
 * prefixes, days, and the notary server's settings. A rule that reads a value (a key, a GUN) names its reason as the
 * check reports it; the engine's unknown marker passes them all.
 */
import { z } from "zod";
import { isDelegationName, isNotaryError } from "../../../sdk/src/index.ts";
import { assertGun } from "../../../sdk/src/metadata/roles.ts";
import { parsePrivateKey, parsePublicKey } from "./key-parsing.ts";
import { UNKNOWN, rule, unknownOr, whenKnown } from "./unknown.ts";

export const text = z.string({ error: "must be a string" });
export const flag = unknownOr(z.boolean({ error: "must be true or false" }));

/** A field of type `T` whose one rule, `problem`, judges any value (a value it accepts is a `T`). */
export function ruled<T>(problem: (v: unknown) => string | undefined) {
  return z.custom<T>(() => true).superRefine(rule(problem));
}

/** Why `f` throws, or undefined when it does not. */
function thrown(f: () => unknown, reason: (e: unknown) => string = (e) => (e as Error).message): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return reason(e);
  }
}

/** The repository name (GUN), in docker's grammar. */
export const gun = z
  .string({ error: "is required: the repository name, e.g. registry.example.com/team/app" })
  .superRefine(rule((v) => thrown(() => assertGun(v))));

/** A role delegated from targets (`targets/<name>`), or with `withTargets` also `targets` itself. */
export function roleName(withTargets = false) {
  return ruled<string>((v) =>
    typeof v === "string" && (isDelegationName(v) || (withTargets && v === "targets"))
      ? undefined
      : `${JSON.stringify(v)} is not a valid role: use "targets/<name>" with lowercase letters, digits, "-", "_" and "/"${withTargets ? ', or "targets"' : ""}`,
  );
}

// Key PEMs: typed as strings, and the parse is the check (a value of another type is "expected a PEM …").
const pem = z.custom<string>(() => true);
const NEED_PRIVATE = "needs at least one private key PEM";
const NEED_PUBLIC = "needs at least one public key PEM (PUBLIC KEY or CERTIFICATE)";

/** Why a private key PEM cannot be read (its SDK message names `field`). */
export function privateKeyProblem(v: unknown, field: string, passphrase?: string): string | undefined {
  return thrown(() => parsePrivateKey(v as string, field, passphrase), (e) => (isNotaryError(e) ? e.message : "cannot be read as a private key"));
}

/** Private key PEMs (one or more); each that cannot be read is named `field[i]`. */
export function privateKeys(field: string) {
  const list = z.array(pem, { error: NEED_PRIVATE }).min(1, NEED_PRIVATE).superRefine((keys, ctx) => {
    keys.forEach((k, i) => {
      const reason = privateKeyProblem(k, `${field}[${i}]`);
      if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason, path: [i] });
    });
  });
  return whenKnown(list);
}

/** One private key PEM, named as the first of a list (`field[0]`) when it cannot be read, as a role's keys are. */
export function privateKey(field: string) {
  return z.string({ error: NEED_PRIVATE }).superRefine((v, ctx) => {
    const reason = v === UNKNOWN ? undefined : privateKeyProblem(v, `${field}[0]`);
    if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason, path: [0] });
  });
}

/** Public key PEMs (`PUBLIC KEY`, docker `.pub`, certificates); each that cannot be read is named `field[i]`. */
export function publicKeys(field: string) {
  const list = z.array(pem, { error: NEED_PUBLIC }).min(1, NEED_PUBLIC).superRefine((keys, ctx) => {
    keys.forEach((k, i) => {
      const reason = thrown(() => parsePublicKey(k, `${field}[${i}]`));
      if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason, path: [i] });
    });
  });
  return whenKnown(list);
}

const WHOLE = "must be a whole number ≥ 1";
export const threshold = unknownOr(z.number({ error: WHOLE }).refine((v) => Number.isInteger(v) && v >= 1, WHOLE));

const PATHS = 'must be a list of path prefixes (strings; "" means all paths)';
export const pathPrefixes = whenKnown(
  z.custom<string[]>((v) => Array.isArray(v) && v.every((p) => typeof p === "string" && !/[\u0000-\u001f]/.test(p)), { error: PATHS }),
);

const DAYS = "must be a number of days ≥ 0";
/** How many days before its expiry a role is re-signed. */
export const renewBeforeDays = unknownOr(z.number({ error: DAYS }).min(0, DAYS));

const LIFETIME = "must be a positive whole number of days";
const lifetime = unknownOr(z.number({ error: LIFETIME }).refine((v) => Number.isInteger(v) && v > 0, LIFETIME));
/** Lifetimes of re-signed roles, in days; notary's defaults otherwise (root 10y, targets/snapshot 3y). */
export const expiry = unknownOr(
  z.object(
    { rootDays: lifetime.optional(), targetsDays: lifetime.optional(), snapshotDays: lifetime.optional(), delegationDays: lifetime.optional() },
    { error: "must be an object { rootDays?, targetsDays?, snapshotDays?, delegationDays? }" },
  ),
);
export type ExpiryInput = z.infer<typeof expiry>;

const SECONDS = "must be a number of seconds > 0";
/** Connection settings for a notary server, per resource (`server` input) or from stack config. */
export const server = unknownOr(
  z.object(
    {
      /** `https://notary.example.com:4443` */
      url: text.optional(),
      /** PEM of the CA that signed the server certificate. */
      caPem: text.optional(),
      clientCertPem: text.optional(),
      clientKeyPem: text.optional(),
      insecureSkipVerify: flag.optional(),
      username: text.optional(),
      /** Mark it secret: `pulumi.secret(...)` or `config.requireSecret(...)`. */
      password: text.optional(),
      /** Registry host whose docker credentials apply; defaults to the GUN's first component. */
      registryHost: text.optional(),
      /** Time-out of each request to the notary server, in seconds (default 30; stack config `notary:timeoutSeconds`). */
      timeoutSeconds: unknownOr(z.number({ error: SECONDS }).refine((v) => v > 0, SECONDS)).optional(),
    },
    { error: "must be an object { url?, caPem?, clientCertPem?, clientKeyPem?, insecureSkipVerify?, username?, password?, registryHost?, timeoutSeconds? }" },
  ),
);
export type ServerInput = z.infer<typeof server>;
