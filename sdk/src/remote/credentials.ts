/**
 * Credentials the way notary and docker find them: explicit values, `NOTARY_AUTH`, then the docker `config.json`
 * (`credHelpers[host]`, `credsStore`, `auths[host]`), running `docker-credential-<name> get`. Secrets never appear in
 * messages or details; `describeCredentials` says where credentials came from.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { NotaryError } from "../errors.ts";
import { fromUtf8 } from "../encoding.ts";

// ---------------------------------------------------------------------------------------------------------------------
// Credentials

/** Credentials for one server. `source` says where they came from, for messages (never the secret itself). */
export type Credentials =
  | { kind: "basic"; username: string; password: string; source: string }
  | { kind: "identityToken"; identityToken: string; username?: string; source: string };

/** Lazily resolved credentials: called at most once per Authenticator, and only when a server asks for them. */
export type CredentialsProvider = () => Promise<Credentials | undefined>;

export interface ResolveCredentialsOptions {
  /** The notary server (or registry) URL the credentials are for. */
  serverUrl: string;
  /**
   * Docker semantics: the image's registry host (`docker.io`, `127.0.0.1:5000`), whose docker credentials are
   * used even when talking to the notary server. Defaults to the host of `serverUrl`.
   */
  registryHost?: string;
  username?: string;
  password?: string;
  /** An explicit identity (refresh) token. */
  identityToken?: string;
  /** Environment to read `NOTARY_AUTH`, `DOCKER_CONFIG`, `HOME` and `PATH` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Directory holding docker's `config.json`. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfigDir?: string;
  /** Ignore `NOTARY_AUTH` (docker does not read it). Default false. */
  skipNotaryAuth?: boolean;
  /** Ignore the docker config. Default false. */
  skipDockerConfig?: boolean;
  /** Time limit for a credential helper. Default 15 000 ms. */
  helperTimeoutMs?: number;
}

const DOCKER_HUB_KEY = "https://index.docker.io/v1/";
const TOKEN_USERNAME = "<token>";

/** Key docker uses for a registry in `config.json` and credential helpers. */
export function dockerConfigKey(host: string): string {
  const h = host.toLowerCase();
  if (h === "docker.io" || h === "index.docker.io" || h === "registry-1.docker.io" || h === DOCKER_HUB_KEY) {
    return DOCKER_HUB_KEY;
  }
  return host;
}

/** docker/cli `ConvertToHostname`: strip the scheme and any path. */
function convertToHostname(s: string): string {
  let h = s;
  if (h.startsWith("http://")) h = h.slice(7);
  else if (h.startsWith("https://")) h = h.slice(8);
  const slash = h.indexOf("/");
  return slash === -1 ? h : h.slice(0, slash);
}

function hostOf(serverUrl: string): string {
  try {
    return new URL(serverUrl).host;
  } catch {
    return convertToHostname(serverUrl);
  }
}

function decodeUserPass(b64: string, what: string): { username: string; password: string } {
  let text: string;
  try {
    text = fromUtf8(new Uint8Array(Buffer.from(b64.trim(), "base64")));
  } catch {
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${what} is not base64 of "user:password"`, { details: { what } });
  }
  const colon = text.indexOf(":");
  if (colon <= 0) throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${what} is not base64 of "user:password"`, { details: { what } });
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, "") };
}

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

async function readDockerConfig(dir: string): Promise<{ path: string; config: DockerConfigFile } | undefined> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `cannot read docker config ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (text.trim() === "") return undefined;
  try {
    const config = JSON.parse(text) as unknown;
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error("not a JSON object");
    return { path, config: config as DockerConfigFile };
  } catch (e) {
    // JSON.parse messages quote input fragments, which may hold secrets: do not pass them on.
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `docker config ${path} is not valid JSON`, { details: { path } });
  }
}

function findAuthEntry(auths: Record<string, DockerAuthEntry> | undefined, key: string): [string, DockerAuthEntry] | undefined {
  if (auths === undefined || typeof auths !== "object") return undefined;
  const exact = auths[key];
  if (exact !== undefined) return [key, exact];
  const wanted = convertToHostname(key);
  for (const [k, v] of Object.entries(auths)) {
    if (convertToHostname(k) === wanted) return [k, v];
  }
  return undefined;
}

function entryCredentials(entry: DockerAuthEntry, source: string): Credentials | undefined {
  let username = typeof entry.username === "string" ? entry.username : "";
  let password = typeof entry.password === "string" ? entry.password : "";
  if (typeof entry.auth === "string" && entry.auth !== "") {
    ({ username, password } = decodeUserPass(entry.auth, `"auth" in ${source}`));
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") {
    return username === ""
      ? { kind: "identityToken", identityToken: entry.identitytoken, source }
      : { kind: "identityToken", identityToken: entry.identitytoken, username, source };
  }
  if (username !== "" && password !== "") return { kind: "basic", username, password, source };
  return undefined;
}

/**
 * Runs `docker-credential-<helper> get` with the server key on stdin. Returns undefined when the helper says it has
 * no credentials for that server.
 */
export async function runCredentialHelper(
  helper: string,
  serverKey: string,
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `invalid credential helper name ${JSON.stringify(helper)}`);
  }
  const program = `docker-credential-${helper}`;
  const env = Object.fromEntries(
    Object.entries(opts.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const result = await new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown; killed?: boolean }) | null }>(
    (resolve) => {
      const child = execFile(
        program,
        ["get"],
        { env, timeout: opts.timeoutMs ?? 15_000, maxBuffer: 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => resolve({ stdout, stderr, error }),
      );
      child.stdin?.on("error", () => {});
      child.stdin?.end(serverKey);
    },
  );
  const source = `credential helper ${program}`;
  if (result.error !== null) {
    const e = result.error;
    if (e.code === "ENOENT") {
      throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${program} was not found on PATH (named by the docker config)`, {
        details: { helper: program },
      });
    }
    const said = `${result.stdout}\n${result.stderr}`.trim();
    if (/credentials not found/i.test(said)) return undefined;
    const why = e.killed ? "timed out" : `failed (${typeof e.code === "number" ? `exit ${e.code}` : String(e.code)})`;
    // The helper's own error text is shown (shortened); helpers print errors, never the secret, on failure.
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${program} get ${why}: ${said.slice(0, 200)}`, {
      details: { helper: program },
    });
  }
  let parsed: { ServerURL?: unknown; Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${program} get did not print JSON`, { details: { helper: program } });
  }
  const username = typeof parsed.Username === "string" ? parsed.Username : "";
  const secret = typeof parsed.Secret === "string" ? parsed.Secret : "";
  if (secret === "") return undefined;
  if (username === TOKEN_USERNAME) return { kind: "identityToken", identityToken: secret, source };
  if (username === "") return undefined;
  return { kind: "basic", username, password: secret, source };
}

/**
 * Finds credentials for a server, in this order: explicit `username`/`password` (or `identityToken`); `NOTARY_AUTH`
 * (base64 of `user:pass`); docker's `config.json`: `credHelpers[host]`, else `credsStore`, else `auths[host]`
 * (`auth`, `username`/`password`, `identitytoken`). Returns undefined when there are none (anonymous access).
 * The host is `registryHost` when given (docker uses the image registry's credentials for its notary server), else
 * the host of `serverUrl`; `docker.io` is looked up as `https://index.docker.io/v1/`.
 *
 * @example
 * const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: "https://notary.example:4443" }) });
 */
export async function resolveCredentials(opts: ResolveCredentialsOptions): Promise<Credentials | undefined> {
  const env = opts.env ?? process.env;
  if (opts.identityToken !== undefined && opts.identityToken !== "") {
    return opts.username
      ? { kind: "identityToken", identityToken: opts.identityToken, username: opts.username, source: "explicit identity token" }
      : { kind: "identityToken", identityToken: opts.identityToken, source: "explicit identity token" };
  }
  if (opts.username !== undefined || opts.password !== undefined) {
    if (!opts.username || !opts.password) {
      throw new NotaryError("CREDENTIALS_UNAVAILABLE", "both a username and a password are needed for explicit credentials");
    }
    return { kind: "basic", username: opts.username, password: opts.password, source: "explicit credentials" };
  }
  const notaryAuth = env["NOTARY_AUTH"];
  if (!opts.skipNotaryAuth && notaryAuth !== undefined && notaryAuth !== "") {
    const { username, password } = decodeUserPass(notaryAuth, "NOTARY_AUTH");
    return { kind: "basic", username, password, source: "NOTARY_AUTH" };
  }
  if (opts.skipDockerConfig) return undefined;
  const dir =
    opts.dockerConfigDir ?? (env["DOCKER_CONFIG"] || join(env["HOME"] || homedir(), ".docker"));
  const file = await readDockerConfig(dir);
  if (file === undefined) return undefined;
  const key = dockerConfigKey(opts.registryHost ?? hostOf(opts.serverUrl));
  const { config, path } = file;
  const helperOpts = { env, ...(opts.helperTimeoutMs === undefined ? {} : { timeoutMs: opts.helperTimeoutMs }) };
  const helpers = config.credHelpers;
  if (helpers !== undefined && typeof helpers === "object") {
    const helper = helpers[key] ?? Object.entries(helpers).find(([k]) => convertToHostname(k) === convertToHostname(key))?.[1];
    if (typeof helper === "string" && helper !== "") return runCredentialHelper(helper, key, helperOpts);
  }
  if (typeof config.credsStore === "string" && config.credsStore !== "") {
    // As docker's native store: the helper's answer is final, `auths` entries are only placeholders then.
    return runCredentialHelper(config.credsStore, key, helperOpts);
  }
  const entry = findAuthEntry(config.auths, key);
  if (entry === undefined) return undefined;
  return entryCredentials(entry[1], `${path} auths[${JSON.stringify(entry[0])}]`);
}

/** "user "alice" (from NOTARY_AUTH)": safe for messages. */
export function describeCredentials(c: Credentials): string {
  if (c.kind === "basic") return `user ${JSON.stringify(c.username)} (from ${c.source})`;
  return `identity token${c.username ? ` of user ${JSON.stringify(c.username)}` : ""} (from ${c.source})`;
}
