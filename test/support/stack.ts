/**
 * The real-server test stack of the integration tests, all on 127.0.0.1: the Debian `notary-server`, the Go `notary`
 * client, the docker CLI (no daemon), Debian's `docker-registry` (distribution v2.8) and an in-process token issuer.
 * Every process started here is stopped by pid (by `stop()`, on exit, and by a `sh` watchdog when this process dies
 * without exit handlers); every wait is bounded; passphrases and private keys are never printed (errors carry the
 * command line and stderr only). NOTARY_TEST_KEEP_TMP=1 keeps the temporary directories for debugging.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, createPrivateKey, randomBytes, randomUUID, sign as cryptoSign, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import type { NotarySigner } from "./notary-signer.ts";

// --- Binaries, defaults, time limits

/** The binaries used (Debian paths; docker is the machine's /usr/local/bin/docker, else Debian's /usr/bin/docker). */
export const BIN: Readonly<{ notary: string; notaryServer: string; registry: string; docker: string; openssl: string }> = {
  notary: "/usr/bin/notary",
  notaryServer: "/usr/bin/notary-server",
  registry: "/usr/bin/docker-registry",
  docker: ["/usr/local/bin/docker", "/usr/bin/docker"].find((p) => existsSync(p)) ?? "/usr/local/bin/docker",
  openssl: "openssl",
};

/** Whether a docker client is installed (tests that drive docker can `{ skip: !hasDocker() }`). */
export function hasDocker(): boolean {
  return existsSync(BIN.docker);
}

/** Default passphrases handed to the CLIs through the environment (reference §9.4). Test-only values. */
export const DEFAULT_PASSPHRASES: Readonly<Record<string, string>> = {
  NOTARY_ROOT_PASSPHRASE: "rootpass123",
  NOTARY_TARGETS_PASSPHRASE: "targetspass123",
  NOTARY_SNAPSHOT_PASSPHRASE: "snappass123",
  NOTARY_DELEGATION_PASSPHRASE: "delegpass123",
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: "dockerroot123",
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: "dockerrepo123",
};

/** The password the token server accepts for any user name. */
export const TOKEN_PASSWORD = "secret";

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const CLI_TIMEOUT_MS = 60_000;

const keepTmp = process.env["NOTARY_TEST_KEEP_TMP"] === "1";

// --- Process bookkeeping and the exit-time safety net

interface Tracked {
  child: ChildProcess;
  watchdog: ChildProcess | undefined;
  exited: Promise<void>;
}

const liveProcesses = new Map<number, Tracked>();
/** Short-lived CLI runs (notary, docker) still going. */
const liveCommands = new Set<ChildProcess>();

/** One root temp dir per test process; everything from makeTempDir lives below it. */
let tmpRoot: { dir: string; watchdog: ChildProcess | undefined } | undefined;

process.on("exit", () => {
  for (const [pid, tracked] of liveProcesses) {
    killQuietly(tracked.watchdog?.pid, "SIGKILL");
    killQuietly(pid, "SIGKILL");
  }
  liveProcesses.clear();
  for (const child of liveCommands) killQuietly(child.pid, "SIGKILL");
  if (tmpRoot !== undefined) {
    killQuietly(tmpRoot.watchdog?.pid, "SIGKILL");
    if (!keepTmp) rmSync(tmpRoot.dir, { recursive: true, force: true });
  }
});

/** Starts `sh -c "read; script"` on a pipe from this process: `read` returns when Node dies, then the script cleans up. */
export function spawnWatchdog(script: string, args: string[]): ChildProcess {
  const watchdog = spawn("sh", ["-c", `read _unused; ${script}`, "watchdog", ...args], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.once("error", () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function tempRoot(): string {
  if (tmpRoot === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `pulumi-notary-${process.pid}-`));
    tmpRoot = { dir, watchdog: keepTmp ? undefined : spawnWatchdog('sleep 3; rm -rf -- "$1"', [dir]) };
  }
  return tmpRoot.dir;
}

function killQuietly(pid: number | undefined, signal: NodeJS.Signals): void {
  try {
    if (pid !== undefined) process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Starts a long-running binary detached, stdout+stderr appended to `logFile`, killed by a watchdog if Node dies. */
function spawnDaemon(bin: string, args: string[], logFile: string, cwd: string, env: Record<string, string> = {}): Tracked {
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { cwd, detached: true, stdio: ["ignore", fd, fd], env: hermeticEnv(env) });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${bin}`);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  child.once("error", () => undefined);
  const watchdog = spawnWatchdog('kill -TERM "$1" 2>/dev/null; sleep 2; kill -KILL "$1" 2>/dev/null', [String(pid)]);
  child.unref();
  const tracked: Tracked = { child, watchdog, exited };
  liveProcesses.set(pid, tracked);
  void exited.then(() => liveProcesses.delete(pid));
  return tracked;
}

/** SIGTERM, wait up to 5 s, then SIGKILL. Resolves once the process has exited. */
async function stopDaemon(tracked: Tracked): Promise<void> {
  const pid = tracked.child.pid;
  killQuietly(tracked.watchdog?.pid, "SIGKILL");
  tracked.watchdog = undefined;
  if (pid === undefined) return;
  killQuietly(pid, "SIGTERM");
  if (!(await within(tracked.exited, STOP_GRACE_MS))) {
    killQuietly(pid, "SIGKILL");
    await within(tracked.exited, 2_000);
  }
  liveProcesses.delete(pid);
}

/** Whether `p` settles within `ms` (the timer keeps the loop alive: the daemons are unref'd). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = new AbortController();
  return await Promise.race([p.then(() => true), delay(ms, false, { signal: timeout.signal }).catch(() => false)]).finally(() => timeout.abort());
}

// --- Temp dirs, ports, environment

/**
 * A fresh directory (mode 0700) below this process's root temp dir `$TMPDIR/pulumi-notary-<pid>-XXXXXX`, removed when
 * the process exits, or by a watchdog if it dies (unless NOTARY_TEST_KEEP_TMP=1).
 */
export async function makeTempDir(prefix = "stack"): Promise<string> {
  return await mkdtemp(path.join(tempRoot(), `${prefix.replace(/[^A-Za-z0-9_-]/g, "_")}-`));
}

/** Removes a directory made by `makeTempDir` now. */
export async function removeTempDir(dir: string): Promise<void> {
  if (!keepTmp) await rm(dir, { recursive: true, force: true });
}

/** A port that was free on 127.0.0.1 a moment ago (starters retry if another process grabs it first). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

let sharedHome: string | undefined;

/** The environment for child processes: the caller's, minus NOTARY_* / DOCKER_*, with HOME pointed at a temp dir. */
function hermeticEnv(extra: Record<string, string>): Record<string, string> {
  if (sharedHome === undefined) {
    sharedHome = path.join(tempRoot(), "home");
    mkdirSync(sharedHome, { recursive: true, mode: 0o700 });
  }
  const own = Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith("NOTARY_") && !k.startsWith("DOCKER_"));
  return { ...(Object.fromEntries(own) as Record<string, string>), HOME: sharedHome, ...extra };
}

/** `base64("user:password")`, the format of NOTARY_AUTH. */
export function basicAuth(user: string, password: string = TOKEN_PASSWORD): string {
  return Buffer.from(`${user}:${password}`).toString("base64");
}

// --- Small helpers: run a command, HTTP(S) GET with a private CA, openssl

export interface RunResult {
  /** Exit code; -1 when the process was killed (time-out) or could not start. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  env: Record<string, string>;
  input?: string | undefined;
  cwd?: string | undefined;
  timeoutMs?: number | undefined;
}

/** Runs a command to completion; never throws for a non-zero exit. stdin gets `input` and is then closed. */
export function runProcess(bin: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    liveCommands.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? CLI_TIMEOUT_MS);
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.stdin?.on("error", () => undefined); // EPIPE when the tool does not read stdin
    child.stdin?.end(opts.input ?? "");
    const finish = (code: number, extraErr = ""): void => {
      clearTimeout(timer);
      liveCommands.delete(child);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + extraErr,
        timedOut,
      });
    };
    child.once("error", (e) => finish(-1, String(e)));
    child.once("close", (code) => finish(code ?? -1));
  });
}

async function execOk(bin: string, args: string[], cwd: string): Promise<void> {
  const r = await runProcess(bin, args, { env: hermeticEnv({}), cwd, timeoutMs: 30_000 });
  if (r.code !== 0) throw new CliError(bin, args, r);
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** GET/POST over http or https (with an optional private CA), time-limited. Never throws for HTTP errors. */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; ca?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      { method: opts.method ?? "GET", headers: opts.headers ?? {}, ...(opts.ca !== undefined ? { ca: opts.ca } : {}), timeout: opts.timeoutMs ?? 5_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Calls `probe` (which throws while the daemon is not ready) until it resolves, the process exits or time runs out. */
async function waitUntilReady(what: string, probe: () => Promise<void>, tracked: Tracked, logFile: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exited = false;
  void tracked.exited.then(() => (exited = true));
  let last = "";
  while (Date.now() < deadline) {
    if (exited) throw new StartError(`process exited during start-up (${what})`, readLog(logFile));
    try {
      await probe();
      return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await delay(50);
  }
  throw new StartError(`not ready after ${STARTUP_TIMEOUT_MS} ms: ${what} (${last})`, readLog(logFile));
}

/** A readiness probe: resolves once `url` answers with a status `ready` accepts, throws otherwise. */
function answers(url: string, ready: (status: number) => boolean, ca?: string): () => Promise<void> {
  return async () => {
    const res = await httpRequest(url, { ...(ca !== undefined ? { ca } : {}), timeoutMs: 1_000 });
    if (!ready(res.status)) throw new Error(`HTTP ${res.status}`);
  };
}

/**
 * Spawns a daemon (environment: the hermetic one plus `env`), waits until `probe` resolves, and gives it a
 * `log` and an idempotent `stop`: stop by pid, keep the final log, then run `cleanup`. A daemon that does not become
 * ready is stopped before the error. `restart` stops it by pid and runs the same command again; resolves to the new pid.
 */
export async function launchDaemon(o: {
  bin: string;
  args: string[];
  dir: string;
  logFile: string;
  env?: Record<string, string>;
  what: string;
  probe: () => Promise<void>;
  cleanup: () => Promise<void>;
}): Promise<{ pid: number; log: () => string; stop: () => Promise<void>; restart: () => Promise<number> }> {
  const start = async (): Promise<Tracked> => {
    const t = spawnDaemon(o.bin, o.args, o.logFile, o.dir, o.env);
    try {
      await waitUntilReady(o.what, o.probe, t, o.logFile);
    } catch (e) {
      await stopDaemon(t);
      throw e;
    }
    return t;
  };
  let tracked = await start();
  let finalLog: string | undefined;
  let stopping: Promise<void> | undefined;
  let restarting: Promise<number> | undefined;
  return {
    pid: tracked.child.pid ?? -1,
    log: () => finalLog ?? readLog(o.logFile),
    stop: () =>
      (stopping ??= (async () => {
        await restarting?.catch(() => undefined);
        await stopDaemon(tracked);
        finalLog = readLog(o.logFile);
        await o.cleanup();
      })()),
    // Stops the process by pid and starts the same command again (same config, port and log file); resolves to the new pid.
    restart: () => {
      if (stopping !== undefined) return Promise.reject(new Error(`${o.bin}: restart after stop`));
      return (restarting = (async () => {
        await restarting?.catch(() => undefined);
        await stopDaemon(tracked);
        tracked = await start();
        return tracked.child.pid ?? -1;
      })());
    },
  };
}

class StartError extends Error {
  readonly log: string;
  constructor(message: string, log: string) {
    super(`${message}\n--- log ---\n${log.slice(-4_000)}`);
    this.log = log;
  }
}

const readLog = (file: string): string => (existsSync(file) ? readFileSync(file, "utf8") : "");

/** Retries a whole start-up a few times when the chosen port was taken in the meantime. */
export async function withPortRetry<T>(start: (port: number) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await start(await freePort());
    } catch (e) {
      lastError = e;
      if (!(e instanceof StartError && /address already in use/i.test(e.log))) throw e;
    }
  }
  throw lastError;
}

/** A P-256 CA plus a server certificate for 127.0.0.1/localhost (and `dnsNames`) signed by it, written into `dir`. */
export async function makeTlsMaterial(dir: string, opts: { dnsNames?: string[] } = {}): Promise<{ caFile: string; caPem: string; certFile: string; keyFile: string }> {
  const p = (name: string): string => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await execOk(BIN.openssl, ["req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "30", "-subj", "/CN=Test Notary CA"], dir);
  await execOk(BIN.openssl, ["req", ...ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1"], dir);
  const sans = ["IP:127.0.0.1", "DNS:localhost", ...(opts.dnsNames ?? []).map((n) => `DNS:${n}`)].join(",");
  await writeFile(p("ext.cnf"), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);
  await execOk(
    BIN.openssl,
    ["x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.crt"), "-days", "30", "-extfile", p("ext.cnf")],
    dir,
  );
  return { caFile: p("ca.crt"), caPem: await readFile(p("ca.crt"), "utf8"), certFile: p("server.crt"), keyFile: p("server.key") };
}

// --- Token server (reference §10.3)

/** A token request: every scope asked for (split), the Basic-auth user, the status (200, 401 bad credentials, 400). */
export interface TokenRequestRecord {
  method: string;
  scopes: string[];
  service: string | undefined;
  account: string | undefined;
  user: string | undefined;
  status: number;
  /** The access entries put into the token (empty unless status is 200). */
  granted: TokenAccess[];
}

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT` and `${url}/token` */
  url: string;
  realm: string;
  issuer: string;
  /** The service name servers are configured with (registries get their own, see startRegistry). */
  service: string;
  /** PEM file of the token-signing certificate: the servers' `rootcertbundle`. */
  certFile: string;
  /** Every request served, oldest first. */
  requests: TokenRequestRecord[];
  clearRequests(): void;
  stop(): Promise<void>;
}

/** Splits `type:name:actions`; the name may itself contain ':' (`repository:127.0.0.1:5000/a/b:pull`). */
function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(",").filter(Boolean) };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

/**
 * An in-process Docker registry token issuer (reference §10.3): ES256 JWTs with an `x5c` header, valid 300 s. By
 * default anonymous callers get `pull` only and Basic auth with TOKEN_PASSWORD (any user) everything asked; a wrong
 * password gets 401. `grant` replaces that policy.
 */
export async function startTokenServer(
  opts: { service?: string; grant?: (ctx: { user: string | undefined; access: TokenAccess }) => string[] } = {},
): Promise<TokenServer> {
  const dir = await makeTempDir("token");
  const certFile = path.join(dir, "token.crt");
  const keyFile = path.join(dir, "token.key");
  await execOk(
    BIN.openssl,
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "30", "-subj", "/CN=token-signer"],
    dir,
  );
  const key: KeyObject = createPrivateKey(await readFile(keyFile));
  const certDerB64 = new X509Certificate(await readFile(certFile, "utf8")).raw.toString("base64");
  const issuer = "test-issuer";
  const defaultService = opts.service ?? "notary-test";
  const expiresIn = 300;
  const requests: TokenRequestRecord[] = [];

  const issue = (sub: string, aud: string, access: TokenAccess[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [certDerB64] };
    const claims = { iss: issuer, sub, aud, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = cryptoSign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    return `${input}.${b64url(sig)}`;
  };

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const scopes = u.searchParams.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
    const [service, account] = [u.searchParams.get("service") ?? undefined, u.searchParams.get("account") ?? undefined];
    const record: TokenRequestRecord = { method: req.method ?? "GET", scopes, service, account, user: undefined, status: 0, granted: [] };
    requests.push(record);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (u.pathname !== "/token" || req.method !== "GET") return reply(404, { errors: [{ code: "NOT_FOUND" }] });
    const authz = req.headers.authorization;
    let user: string | undefined;
    if (authz !== undefined) {
      const m = /^Basic\s+(.+)$/i.exec(authz);
      const decoded = m?.[1] !== undefined ? Buffer.from(m[1], "base64").toString("utf8") : "";
      const colon = decoded.indexOf(":");
      if (colon < 0 || decoded.slice(colon + 1) !== TOKEN_PASSWORD) {
        record.user = colon < 0 ? undefined : decoded.slice(0, colon);
        return reply(401, { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }, { "www-authenticate": 'Basic realm="test"' });
      }
      user = decoded.slice(0, colon);
      record.user = user;
    }
    const granted: TokenAccess[] = [];
    for (const scope of scopes) {
      const access = parseScope(scope);
      if (access === undefined) return reply(400, { errors: [{ code: "INVALID_SCOPE", message: scope }] });
      const byDefault = user !== undefined ? access.actions : access.actions.filter((a) => a === "pull");
      const actions = opts.grant ? opts.grant({ user, access }) : byDefault;
      granted.push({ type: access.type, name: access.name, actions });
    }
    record.granted = granted;
    const token = issue(user ?? "", service ?? defaultService, granted);
    reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  server.unref();
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  let stopped = false;
  return {
    url,
    realm: `${url}/token`,
    issuer,
    service: defaultService,
    certFile,
    requests,
    clearRequests: () => void requests.splice(0, requests.length),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeTempDir(dir);
    },
  };
}

// --- notary-server (reference §11.2)

export interface NotaryServer {
  /** `http(s)://127.0.0.1:PORT` and `127.0.0.1:PORT` */
  url: string;
  host: string;
  port: number;
  pid: number;
  /** The CA that signed the server certificate (tls only). */
  caPem?: string;
  caFile?: string;
  /** The token realm and issuer (auth only); the issuer's `requests` show what clients asked for. */
  tokenRealm?: string;
  tokens?: TokenServer;
  /** The temp dir holding config.json, server.log and certificates. */
  dir: string;
  /** The server's JSON log lines so far, across restarts (kept after stop). */
  log(): string;
  /**
   * Stops notary-server by pid and starts it again (same config and port); `pid` changes. Memory storage comes back
   * empty, PostgreSQL keeps the data; the local signer's keys are lost (a publish fails until `key rotate GUN timestamp
   * -r`), a notary-signer (`signer`) keeps them.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface NotaryServerOptions {
  /** Serve HTTPS with a fresh private CA (needed by docker, which refuses http:// trust servers). */
  tls?: boolean;
  /** Token auth; `true` starts (and later stops) a token server, or pass one to share it. */
  auth?: boolean | TokenServer;
  /** Store in this PostgreSQL database instead of memory (see `startPostgres` in postgres.ts, which creates the schema). */
  postgresUrl?: string;
  /** Sign with this notary-signer (notary-signer.ts; keys survive restarts) instead of the local in-memory signer. */
  signer?: NotarySigner;
}

/** The `trust_service` section for a notary-signer (notary-server 0.7.0: `cmd/notary-server/config.go › getTrustService`). */
function remoteTrustService(signer: NotarySigner): Record<string, string> {
  return { type: "remote", hostname: signer.hostname, port: String(signer.port), tls_ca_file: signer.caFile, key_algorithm: "ecdsa" };
}

/**
 * Starts `notary-server` with memory storage (or PostgreSQL, `postgresUrl`) and the local (Ed25519) signer (or a
 * notary-signer, `signer`) on a free 127.0.0.1 port and waits for `GET /_notary_server/health`.
 */
export async function startNotaryServer(opts: NotaryServerOptions = {}): Promise<NotaryServer> {
  const dir = await makeTempDir("notary-server");
  const tls = opts.tls === true ? await makeTlsMaterial(dir) : undefined;
  const ownTokens = opts.auth === true;
  const tokens = opts.auth === true ? await startTokenServer() : opts.auth === false ? undefined : opts.auth;
  try {
    return await withPortRetry(async (port) => {
      const host = `127.0.0.1:${port}`;
      const config: Record<string, unknown> = {
        server: { http_addr: host, ...(tls ? { tls_cert_file: tls.certFile, tls_key_file: tls.keyFile } : {}) },
        trust_service: opts.signer !== undefined ? remoteTrustService(opts.signer) : { type: "local" },
        storage: opts.postgresUrl !== undefined ? { backend: "postgres", db_url: opts.postgresUrl } : { backend: "memory" },
        logging: { level: "info" }, // each request is logged as "response completed"
        ...(tokens
          ? { auth: { type: "token", options: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certFile } } }
          : {}),
      };
      const configFile = path.join(dir, "config.json");
      const logFile = path.join(dir, `server-${port}.log`);
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const url = `${tls ? "https" : "http"}://${host}`;
      const { restart, ...daemon } = await launchDaemon({
        bin: BIN.notaryServer,
        args: ["-config", configFile],
        dir,
        logFile,
        what: `${url}/_notary_server/health`,
        probe: answers(`${url}/_notary_server/health`, (s) => s === 200, tls?.caPem),
        cleanup: async () => {
          if (ownTokens) await tokens?.stop();
          await removeTempDir(dir);
        },
      });
      const server: NotaryServer = { url, host, port, dir, ...daemon, restart: async () => void (server.pid = await restart()) };
      if (tls) {
        server.caPem = tls.caPem;
        server.caFile = tls.caFile;
      }
      if (tokens) {
        server.tokenRealm = tokens.realm;
        server.tokens = tokens;
      }
      return server;
    });
  } catch (e) {
    if (ownTokens) await tokens?.stop();
    throw e;
  }
}

// --- docker-registry (distribution v2.8, Debian)

export interface Registry {
  url: string;
  /** `127.0.0.1:PORT`, the prefix of image names */
  host: string;
  port: number;
  pid: number;
  dir: string;
  /** Token issuer when started with auth; the registry's service name is REGISTRY_SERVICE. */
  tokens?: TokenServer;
  log(): string;
  stop(): Promise<void>;
}

/** The `service` a token-auth registry is configured with (and asks tokens for). */
export const REGISTRY_SERVICE = "registry-test";

/**
 * Starts Debian's `docker-registry serve` over HTTP with filesystem storage in a temp dir, and waits for `/v2/`.
 * `auth: true` starts a token server (service "registry-test"); a TokenServer may be shared with a notary server.
 */
export async function startRegistry(opts: { auth?: boolean | TokenServer } = {}): Promise<Registry> {
  const dir = await makeTempDir("registry");
  const ownTokens = opts.auth === true;
  const tokens = opts.auth === true ? await startTokenServer({ service: REGISTRY_SERVICE }) : opts.auth === false ? undefined : opts.auth;
  try {
    return await withPortRetry(async (port) => {
      const host = `127.0.0.1:${port}`;
      const storage = path.join(dir, "storage");
      await mkdir(storage, { recursive: true });
      const config = {
        version: 0.1,
        log: { level: "info", accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true } },
        http: { addr: host },
        health: { storagedriver: { enabled: false } },
        ...(tokens ? { auth: { token: { realm: tokens.realm, service: REGISTRY_SERVICE, issuer: tokens.issuer, rootcertbundle: tokens.certFile } } } : {}),
      };
      const configFile = path.join(dir, "config.yml");
      const logFile = path.join(dir, `registry-${port}.log`);
      await writeFile(configFile, JSON.stringify(config, null, 2)); // YAML reads JSON
      const url = `http://${host}`;
      const daemon = await launchDaemon({
        bin: BIN.registry,
        args: ["serve", configFile],
        dir,
        logFile,
        what: `${url}/v2/`,
        probe: answers(`${url}/v2/`, (s) => s === 200 || s === 401),
        cleanup: async () => {
          if (ownTokens) await tokens?.stop();
          await removeTempDir(dir);
        },
      });
      const registry: Registry = { url, host, port, dir, ...daemon };
      if (tokens) registry.tokens = tokens;
      return registry;
    });
  } catch (e) {
    if (ownTokens) await tokens?.stop();
    throw e;
  }
}

// --- Pushing images through the registry HTTP API

export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;


export interface PushedBlob {
  mediaType: string;
  digest: string; // sha256:<hex>
  size: number;
  bytes: Buffer;
}

export interface PushedManifest extends PushedBlob {
  platform: { architecture: string; os: string };
  config: PushedBlob;
  layers: PushedBlob[];
}

export interface PushedImage {
  repo: string;
  tag: string;
  /** What the tag points at (the index / manifest list when multiArch): digest, size, type, the exact bytes uploaded. */
  digest: string;
  size: number;
  mediaType: string;
  bytes: Buffer;
  /** One per architecture (amd64, plus arm64 when multiArch). */
  manifests: PushedManifest[];
  index?: PushedBlob;
}

export interface PushOptions {
  multiArch: boolean;
  /** "oci" (default): OCI manifests and index; "docker": Docker v2 schema2 manifests and manifest list. */
  format?: "oci" | "docker";
  /** Credentials for a token-auth registry (Basic auth is sent to the token realm). */
  credentials?: { user: string; password: string };
  /** Annotations of the manifest the tag points to (the index with `multiArch`). */
  annotations?: Record<string, string>;
  /** Labels in each image's config (`config.Labels`). */
  labels?: Record<string, string>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A one-file ustar archive (512-byte header, data padded to 512, two zero blocks). */
function tarOneFile(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512, 0);
  const field = (offset: number, length: number, value: string): void => void header.write(value, offset, length, "ascii");
  field(0, 100, name);
  field(100, 8, "0000644\0");
  field(108, 8, "0000000\0");
  field(116, 8, "0000000\0");
  field(124, 12, data.length.toString(8).padStart(11, "0") + "\0");
  field(136, 12, "00000000000\0");
  field(148, 8, "        ");
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512, 0);
  data.copy(padded);
  return Buffer.concat([header, padded, Buffer.alloc(1024, 0)]);
}

/** fetch() against the registry, answering a Bearer challenge once via the token realm. */
async function registryFetch(url: string, init: RequestInit, credentials: PushOptions["credentials"], tokenCache: Map<string, string>): Promise<Response> {
  const scopeKey = new URL(url).pathname;
  const withToken = (token: string | undefined): RequestInit => {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    return { ...init, headers, signal: AbortSignal.timeout(15_000) };
  };
  let res = await fetch(url, withToken(tokenCache.get("token")));
  if (res.status !== 401) return res;
  const challenge = res.headers.get("www-authenticate") ?? "";
  await res.arrayBuffer();
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const realm = params["realm"];
  if (!/^Bearer/i.test(challenge) || realm === undefined) throw new Error(`registry ${scopeKey}: unexpected challenge "${challenge}"`);
  const tokenUrl = new URL(realm);
  if (params["service"] !== undefined) tokenUrl.searchParams.set("service", params["service"]);
  if (params["scope"] !== undefined) tokenUrl.searchParams.set("scope", params["scope"]);
  const headers: Record<string, string> = {};
  if (credentials) headers["authorization"] = `Basic ${basicAuth(credentials.user, credentials.password)}`;
  const tokenRes = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(15_000) });
  if (!tokenRes.ok) throw new Error(`token request failed: HTTP ${tokenRes.status}`);
  const body = (await tokenRes.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (token === undefined) throw new Error("token response without a token");
  tokenCache.set("token", token);
  res = await fetch(url, withToken(token));
  return res;
}

/**
 * Uploads a tiny image (random one-file layer + config) per architecture through the registry HTTP API, and for
 * `multiArch` an index / manifest list of linux/amd64 and linux/arm64. Returns digests, sizes and the bytes uploaded.
 */
export async function pushOciImage(registryHost: string, repo: string, tag: string, opts: PushOptions): Promise<PushedImage> {
  const base = `http://${registryHost}/v2/${repo}`;
  const docker = opts.format === "docker";
  const mt = docker
    ? { manifest: MEDIA_TYPES.dockerManifest, index: MEDIA_TYPES.dockerManifestList, config: MEDIA_TYPES.dockerConfig, layer: MEDIA_TYPES.dockerLayer }
    : { manifest: MEDIA_TYPES.ociManifest, index: MEDIA_TYPES.ociIndex, config: MEDIA_TYPES.ociConfig, layer: MEDIA_TYPES.ociLayer };
  const tokens = new Map<string, string>();
  const call = (url: string, init: RequestInit): Promise<Response> => registryFetch(url, init, opts.credentials, tokens);

  const uploadBlob = async (mediaType: string, bytes: Buffer): Promise<PushedBlob> => {
    const digest = sha256(bytes);
    const start = await call(`${base}/blobs/uploads/`, { method: "POST" });
    await start.arrayBuffer();
    const location = start.headers.get("location");
    if (start.status !== 202 || location === null) throw new Error(`blob upload start: HTTP ${start.status}`);
    const target = new URL(location, `http://${registryHost}`);
    target.searchParams.set("digest", digest);
    const put = await call(target.toString(), { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes });
    const text = await put.text();
    if (put.status !== 201) throw new Error(`blob upload ${digest}: HTTP ${put.status} ${text}`);
    return { mediaType, digest, size: bytes.length, bytes };
  };

  const putManifest = async (reference: string, mediaType: string, bytes: Buffer): Promise<void> => {
    const res = await call(`${base}/manifests/${reference}`, { method: "PUT", headers: { "content-type": mediaType }, body: bytes });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest ${repo}:${reference}: HTTP ${res.status} ${text}`);
    const served = res.headers.get("docker-content-digest");
    if (served !== null && served !== sha256(bytes)) throw new Error(`registry digest ${served} differs from ${sha256(bytes)}`);
  };

  const archs = opts.multiArch ? ["amd64", "arm64"] : ["amd64"];
  const manifests: PushedManifest[] = [];
  for (const architecture of archs) {
    const tar = tarOneFile(`hello-${architecture}.txt`, randomBytes(32));
    const layer = await uploadBlob(mt.layer, gzipSync(tar));
    const rootfs = { type: "layers", diff_ids: [sha256(tar)] };
    const configJson = { architecture, os: "linux", config: opts.labels ? { Labels: opts.labels } : {}, rootfs, created: new Date().toISOString() };
    const config = await uploadBlob(mt.config, Buffer.from(JSON.stringify(configJson)));
    const ref = (b: PushedBlob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
    const annotations = opts.annotations && !opts.multiArch ? { annotations: opts.annotations } : {};
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mt.manifest, config: ref(config), layers: [ref(layer)], ...annotations }, null, 3));
    const digest = sha256(bytes);
    await putManifest(opts.multiArch ? digest : tag, mt.manifest, bytes);
    manifests.push({ mediaType: mt.manifest, digest, size: bytes.length, bytes, platform: { architecture, os: "linux" }, config, layers: [layer] });
  }
  const first = manifests[0]!;
  if (!opts.multiArch) return { repo, tag, digest: first.digest, size: first.size, mediaType: first.mediaType, bytes: first.bytes, manifests };

  const entries = manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform }));
  const indexJson = { schemaVersion: 2, mediaType: mt.index, manifests: entries, ...(opts.annotations ? { annotations: opts.annotations } : {}) };
  const bytes = Buffer.from(JSON.stringify(indexJson, null, 3));
  await putManifest(tag, mt.index, bytes);
  const index: PushedBlob = { mediaType: mt.index, digest: sha256(bytes), size: bytes.length, bytes };
  return { repo, tag, digest: index.digest, size: index.size, mediaType: index.mediaType, bytes, manifests, index };
}

/** GET a manifest as stored (all manifest types accepted). */
export async function fetchManifest(registryHost: string, repo: string, reference: string, credentials?: { user: string; password: string }): Promise<PushedBlob> {
  const res = await registryFetch(`http://${registryHost}/v2/${repo}/manifests/${reference}`, { headers: { accept: [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest].join(", ") } }, credentials, new Map());
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET manifest ${repo}:${reference}: HTTP ${res.status} ${bytes.toString("utf8")}`);
  return { mediaType: res.headers.get("content-type") ?? "", digest: sha256(bytes), size: bytes.length, bytes };
}

// --- notary CLI (reference §11.3)

export type ServerRef = Pick<NotaryServer, "url"> & { caFile?: string | undefined };

/** How a CLI runs: extra environment (overrides DEFAULT_PASSPHRASES), stdin (then closed), cwd, time limit. */
type CliRun = { env?: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number };

export interface NotaryCliOptions extends CliRun {
  trustDir: string;
  /** Omit for offline commands (`key generate`, `key list`, …). */
  server?: ServerRef;
}

const run = (bin: string, args: string[], env: Record<string, string>, o: CliRun): Promise<RunResult> =>
  runProcess(bin, args, { env: hermeticEnv({ ...DEFAULT_PASSPHRASES, ...env, ...o.env }), input: o.input, cwd: o.cwd, timeoutMs: o.timeoutMs });

function notaryArgs(args: string[], opts: NotaryCliOptions): string[] {
  const global = ["-d", opts.trustDir];
  if (opts.server) {
    global.push("-s", opts.server.url);
    if (opts.server.caFile !== undefined) global.push("--tlscacert", opts.server.caFile);
  }
  return [...global, ...args];
}

/** Runs `/usr/bin/notary -d trustDir -s url [--tlscacert ca] …args` non-interactively. Never throws on a non-zero exit. */
export function notaryCli(args: string[], opts: NotaryCliOptions): Promise<RunResult> {
  return run(BIN.notary, notaryArgs(args, opts), {}, opts);
}

/** Like notaryCli, but throws (with the command and stderr) unless the exit code is 0. Returns stdout. */
export async function notaryOk(args: string[], opts: NotaryCliOptions): Promise<string> {
  const r = await notaryCli(args, opts);
  if (r.code !== 0) throw new CliError("notary", notaryArgs(args, opts), r);
  return r.stdout;
}

export class CliError extends Error {
  readonly result: RunResult;
  constructor(tool: string, args: string[], result: RunResult) {
    super(`${tool} ${args.join(" ")} exited ${result.code}${result.timedOut ? " (timed out)" : ""}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`);
    this.result = result;
  }
}

// --- docker CLI without a daemon (reference §12)

export interface DockerCliOptions extends CliRun {
  /** DOCKER_CONFIG; docker's trust dir is `${configDir}/trust`. */
  configDir: string;
  /** Trust server; docker refuses http:// URLs, so start it with `tls: true`. */
  server?: ServerRef & { host?: string; caPem?: string | undefined };
}

/**
 * Runs `docker …args` with DOCKER_CONFIG, DOCKER_CONTENT_TRUST_SERVER and the passphrase variables set, and DOCKER_HOST
 * at a socket that does not exist (so `docker trust sign` of a new tag fails as reference §12 says, even where an engine
 * runs). A server CA is also written to `$DOCKER_CONFIG/tls/<host>/ca.crt` (docker verifies the trust server only for
 * images whose registry is not on loopback).
 */
export async function dockerCli(args: string[], opts: DockerCliOptions): Promise<RunResult> {
  const env: Record<string, string> = {
    DOCKER_CONFIG: opts.configDir,
    DOCKER_CLI_HINTS: "false",
    // The tests model a machine without a Docker engine: never talk to one, even if the machine has it.
    DOCKER_HOST: `unix://${path.join(tempRoot(), "no-docker-engine.sock")}`,
  };
  if (opts.server) {
    env["DOCKER_CONTENT_TRUST_SERVER"] = opts.server.url;
    const caPem = opts.server.caPem;
    if (caPem !== undefined) {
      const tlsDir = path.join(opts.configDir, "tls", new URL(opts.server.url).host);
      await mkdir(tlsDir, { recursive: true });
      await writeFile(path.join(tlsDir, "ca.crt"), caPem);
    }
  }
  return await run(BIN.docker, args, env, opts);
}

/** Like dockerCli, but throws unless the exit code is 0. Returns stdout. */
export async function dockerOk(args: string[], opts: DockerCliOptions): Promise<string> {
  const r = await dockerCli(args, opts);
  if (r.code !== 0) throw new CliError("docker", args, r);
  return r.stdout;
}

/** One entry of `docker trust inspect` JSON output (reference §8.4). */
export interface DockerTrustInfo {
  Name: string;
  SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
  Signers: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
  AdministrativeKeys: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
}

/**
 * `docker trust inspect IMAGE…` parsed (one entry per image; the shape is asserted only loosely). Throws on failure,
 * including docker's exit 1 with `[]` for a repository without trust data.
 */
export async function dockerTrustInspect(images: string | string[], opts: DockerCliOptions): Promise<DockerTrustInfo[]> {
  const out = await dockerOk(["trust", "inspect", ...(Array.isArray(images) ? images : [images])], opts);
  const parsed: unknown = JSON.parse(out);
  if (!Array.isArray(parsed)) throw new Error(`docker trust inspect printed no array: ${out.slice(0, 200)}`);
  return parsed as DockerTrustInfo[];
}

/** Writes registry credentials for `registryHost` into `$DOCKER_CONFIG/config.json` (docker's token-auth source). */
export async function writeDockerAuth(configDir: string, registryHost: string, user: string, password: string = TOKEN_PASSWORD): Promise<void> {
  await mkdir(configDir, { recursive: true });
  const file = path.join(configDir, "config.json");
  let config: { auths?: Record<string, { auth: string }> } = {};
  try {
    config = JSON.parse(await readFile(file, "utf8")) as typeof config;
  } catch {
    // no config yet
  }
  config.auths = { ...config.auths, [registryHost]: { auth: basicAuth(user, password) } };
  await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}
