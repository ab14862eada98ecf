/**
 * Errors in the reader's own terms. SDK messages name SDK options (`NotaryClient`'s url, `tls.ca`, …); a Pulumi user
 * sets stack config keys and resource inputs instead. The provider rewrites those names before the message reaches
 * `pulumi up` / `preview` output, and checks offline what the stack config can get wrong.
 */
import { effectiveServerUrl, isUnknown, type ProviderConfig, type ServerInput } from "./common.ts";
import type { CheckFailure } from "./checks.ts";

const PULUMI_TERMS: [RegExp, string][] = [
  [/NotaryClient's url/g, "the stack config notary:serverUrl (or the resource's server.url)"],
  [/NotaryClient\.url|ServerOptions\.url/g, "notary:serverUrl (or server.url)"],
  [/`ca`|tls\.ca\b|ServerOptions\.tls\.ca/g, "the stack config notary:caPem (or the resource's server.caPem)"],
  [/ServerOptions\.now/g, "this machine's clock"],
  [/RepositoryOptions\.expiry/g, "the Repository's expiry input"],
  [/Repository\.initialize\b/g, "a Repository resource"],
  [/PublishOptions\.keys/g, "the resource's signing key inputs (signingKeys, parentKey, targetsKey)"],
];

/** An SDK message with SDK option names replaced by the stack config keys and inputs a Pulumi user sets. */
export function inPulumiTerms(message: string): string {
  return PULUMI_TERMS.reduce((m, [re, to]) => m.replace(re, to), message);
}

/**
 * The notary server URL, checked in every resource's check so `pulumi preview` reports it: present (resource input,
 * stack config, or DOCKER_CONTENT_TRUST_SERVER), and an http(s) URL with a host.
 */
export function checkServerUrl(config: ProviderConfig, server: ServerInput | undefined, f: CheckFailure[]): void {
  if (isUnknown(server?.url) || isUnknown(server)) return;
  const { url, from: where } = effectiveServerUrl(config, server);
  if (url === undefined) {
    f.push({ property: "server.url", reason: "no notary server: `pulumi config set notary:serverUrl https://notary.example.com:4443`, or give the resource server.url" });
    return;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:") || !parsed.hostname) {
    f.push({ property: "server.url", reason: `${where} is ${JSON.stringify(url)}: give the notary server's URL with its scheme, https://host:port` });
  }
}
