/** Provider configuration: the stack's `notary:*` keys, and the server options in effect for a resource. */
import type { ServerOptions } from "../../../sdk/src/index.ts";
import { inputError } from "../inputs/failures.ts";
import type { ServerInput } from "../inputs/fields.ts";

/** Stack configuration (`notary:*` keys), read by the providers' `configure`. */
export type ProviderConfig = ServerInput & { renewBeforeDays?: number };

export const CONFIG_KEYS = {
  url: "notary:serverUrl",
  caPem: "notary:caPem",
  clientCertPem: "notary:clientCertPem",
  clientKeyPem: "notary:clientKeyPem",
  insecureSkipVerify: "notary:insecureSkipVerify",
  username: "notary:username",
  password: "notary:password",
  renewBeforeDays: "notary:renewBeforeDays",
  timeoutSeconds: "notary:timeoutSeconds",
} as const;

/**
 * Build ProviderConfig from a `get(key)` accessor (the dynamic provider's `configure` request). A malformed number
 * fails with INPUT_INVALID naming the config key (every resource of the provider then reports it).
 */
export function readConfig(get: (key: string) => string | undefined): ProviderConfig {
  const c: ProviderConfig = {};
  for (const [field, key] of Object.entries(CONFIG_KEYS)) {
    const v = get(key);
    if (v === undefined || v === "") continue;
    if (field === "insecureSkipVerify") c.insecureSkipVerify = v === "true";
    else if (field === "renewBeforeDays" || field === "timeoutSeconds") {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || (field === "timeoutSeconds" && n === 0)) {
        throw inputError(key, field === "timeoutSeconds" ? "must be a number of seconds > 0" : "must be a number of days ≥ 0");
      }
      c[field] = n;
    }
    else (c as Record<string, unknown>)[field] = v;
  }
  return c;
}

/**
 * The notary server URL in effect and where it came from: the resource's `server.url`, else the stack config's
 * `notary:serverUrl`, else docker's DOCKER_CONTENT_TRUST_SERVER (what `serverOptions` uses and `check` validates).
 */
export function effectiveServerUrl(config: ProviderConfig, input: ServerInput | undefined): { url: string | undefined; from: string } {
  if (input?.url) return { url: input.url, from: "server.url" };
  if (config.url) return { url: config.url, from: "notary:serverUrl" };
  return { url: process.env["DOCKER_CONTENT_TRUST_SERVER"] || undefined, from: "DOCKER_CONTENT_TRUST_SERVER" };
}

/** Effective server options: the resource's `server` input, then stack config, then docker's environment. */
export function serverOptions(config: ProviderConfig, input: ServerInput | undefined, gun: string): ServerOptions {
  const s = { ...config, ...dropEmpty(input ?? {}) };
  const url = effectiveServerUrl(config, input).url;
  if (!url) {
    throw inputError(
      "server.url",
      "no notary server URL: set the resource's server.url, the stack config notary:serverUrl, or DOCKER_CONTENT_TRUST_SERVER",
    );
  }
  const tls = {
    ...(s.caPem ? { ca: s.caPem } : {}),
    ...(s.clientCertPem ? { clientCert: s.clientCertPem } : {}),
    ...(s.clientKeyPem ? { clientKey: s.clientKeyPem } : {}),
    ...(s.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
  };
  return {
    url,
    tls,
    ...(s.username ? { username: s.username } : {}),
    ...(s.password ? { password: s.password } : {}),
    ...(validTimeout(s.timeoutSeconds) ? { timeoutMs: Math.round(s.timeoutSeconds * 1000) } : {}),
    registryHost: s.registryHost ?? gun.split("/")[0]!,
  };
}

function validTimeout(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

export function dropEmpty<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== "")) as Partial<T>;
}

