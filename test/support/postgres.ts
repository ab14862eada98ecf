/**
 * A private, throw-away PostgreSQL cluster on 127.0.0.1 for notary-server's `postgres` storage backend (reference
 * §11.x "notary-server on PostgreSQL"), with the schema the Debian notary-server 0.7.0 binary needs already created
 * (`notary-server -bootstrap` refuses SQL stores and the package ships no migrations).
 *
 * - Debian's PostgreSQL binaries (/usr/lib/postgresql/<newest>/bin; `npm run setup` installs the `postgresql` package).
 * - PostgreSQL refuses to run as root: when this process is root, the server-side commands run as the `postgres` OS
 *   user (`runuser -u postgres --`) and the cluster lives in its own `$TMPDIR/pulumi-notary-pg-*` dir owned by that
 *   user (the per-process dir of makeTempDir is root-only).
 * - Never leaves a cluster running: every failure path stops it, and a watchdog (stack.ts `spawnWatchdog`) stops it and
 *   removes its dir when this Node process dies without calling `stop()`.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, removeTempDir, runProcess, spawnWatchdog } from "./stack.ts";

export interface Postgres {
  /** `postgres://postgres@127.0.0.1:PORT/notary?sslmode=disable`, for `startNotaryServer({ postgresUrl })`. */
  url: string;
  port: number;
  /** The cluster's directory: `data/` (PGDATA), `postgres.log` and the Unix socket. */
  dir: string;
  /** Stops the cluster (`pg_ctl stop -m fast`) and removes its dir; idempotent. */
  stop(): Promise<void>;
}

/** The schema notary-server 0.7.0 reads and writes (checked against its SQL in the PostgreSQL statement log). */
const NOTARY_SCHEMA = `
CREATE TABLE tuf_files (
  id serial PRIMARY KEY,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  deleted_at timestamp NULL DEFAULT NULL,
  gun varchar(255) NOT NULL,
  role varchar(255) NOT NULL,
  version integer NOT NULL,
  sha256 char(64) DEFAULT NULL,
  data bytea NOT NULL,
  UNIQUE (gun, role, version)
);
CREATE INDEX tuf_files_sha256_idx ON tuf_files (sha256);
CREATE TABLE changefeed (
  id serial PRIMARY KEY,
  created_at timestamp DEFAULT now(),
  gun varchar(255) NOT NULL,
  version integer NOT NULL,
  sha256 char(64) DEFAULT NULL,
  category varchar(20) NOT NULL DEFAULT 'update'
);
CREATE INDEX changefeed_gun_idx ON changefeed (gun);
`;

const DB = "notary";
const CMD_TIMEOUT_MS = 60_000;
const isRoot = process.getuid?.() === 0;

/** The newest /usr/lib/postgresql/<version>/bin that has initdb. */
export function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  const found = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(base, v, "bin"))
    .find((bin) => existsSync(path.join(bin, "initdb")));
  if (found === undefined) throw new Error(`no ${base}/*/bin/initdb: install the Debian package postgresql (npm run setup)`);
  return found;
}

/** The environment for PostgreSQL tools: the caller's, without PG* settings that could point them elsewhere. */
function pgEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PG")) env[k] = v;
  return env;
}

/** [bin, args] running `tool` from `binDir`, as the `postgres` OS user when this process is root. */
function asPgUser(binDir: string, tool: string, args: string[]): [string, string[]] {
  const bin = path.join(binDir, tool);
  return isRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
}

/** Runs a command; throws with its command line, stderr and the tail of the server log unless it exits 0. */
async function run([bin, args]: [string, string[]], dir: string): Promise<string> {
  const r = await runProcess(bin, args, { env: pgEnv(), cwd: dir, timeoutMs: CMD_TIMEOUT_MS });
  if (r.code === 0) return r.stdout;
  let log = "";
  try {
    log = readFileSync(path.join(dir, "postgres.log"), "utf8").slice(-3_000);
  } catch {
    // no server log yet
  }
  throw new Error(`${bin} ${args.join(" ")} failed (exit ${r.code}${r.timedOut ? ", timed out" : ""}): ${r.stderr}\n--- postgres.log ---\n${log}`);
}

/** Runs SQL in database `db` of the cluster with psql; throws with stderr unless it exits 0. */
export async function psql(pg: Pick<Postgres, "port" | "dir">, db: string, sql: string): Promise<void> {
  const args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", db, "-c", sql];
  await run([path.join(postgresBinDir(), "psql"), args], pg.dir);
}

/** `pg_ctl stop`: fast (rolls back open sessions), immediate if that fails. Never throws. */
async function stopCluster(binDir: string, dir: string): Promise<void> {
  const data = path.join(dir, "data");
  if (!existsSync(path.join(data, "postmaster.pid"))) return;
  for (const mode of ["fast", "immediate"]) {
    const [bin, args] = asPgUser(binDir, "pg_ctl", ["stop", "-D", data, "-m", mode, "-w", "-t", "30"]);
    const r = await runProcess(bin, args, { env: pgEnv(), timeoutMs: CMD_TIMEOUT_MS });
    if (r.code === 0 || !existsSync(path.join(data, "postmaster.pid"))) return;
  }
}

/** `pg_ctl start` on a free 127.0.0.1 port (TCP only there, Unix socket in `dir`); retries when the port was taken. */
async function startOnFreePort(binDir: string, dir: string): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const options = `-p ${port} -k "${dir}" -c listen_addresses=127.0.0.1`;
    const logFile = path.join(dir, "postgres.log");
    try {
      await run(asPgUser(binDir, "pg_ctl", ["start", "-D", path.join(dir, "data"), "-o", options, "-l", logFile, "-w", "-t", "30"]), dir);
      return port;
    } catch (e) {
      lastError = e;
      await stopCluster(binDir, dir);
      if (!/already in use/i.test(String(e))) throw e;
    }
  }
  throw lastError;
}

/**
 * Creates a cluster (`initdb -A trust -U postgres`), starts it on a free port and creates database `notary` with
 * NOTARY_SCHEMA. On any failure the cluster is stopped and its dir removed before the error.
 */
export async function startPostgres(): Promise<Postgres> {
  const binDir = postgresBinDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), `pulumi-notary-pg-${process.pid}-`));
  // Last resort if Node dies without stop(): $1 = dir, the rest = the pg_ctl command.
  const [ctl, ctlArgs] = asPgUser(binDir, "pg_ctl", ["stop", "-D", path.join(dir, "data"), "-m", "immediate", "-w", "-t", "20"]);
  let watchdog: ChildProcess | undefined = spawnWatchdog('d="$1"; shift; "$@" >/dev/null 2>&1; [ "$NOTARY_TEST_KEEP_TMP" = 1 ] || rm -rf -- "$d"', [dir, ctl, ...ctlArgs]);
  const cleanup = async (): Promise<void> => {
    await stopCluster(binDir, dir);
    try {
      if (watchdog?.pid !== undefined) process.kill(watchdog.pid, "SIGKILL");
    } catch {
      // already gone
    }
    watchdog = undefined;
    await removeTempDir(dir);
  };
  try {
    if (isRoot) await run(["chown", ["postgres:postgres", dir]], dir);
    const initdb = ["-D", path.join(dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"];
    await run(asPgUser(binDir, "initdb", initdb), dir);
    const port = await startOnFreePort(binDir, dir);
    await psql({ port, dir }, "postgres", `CREATE DATABASE ${DB}`);
    await psql({ port, dir }, DB, NOTARY_SCHEMA);
    let stopping: Promise<void> | undefined;
    return { url: `postgres://postgres@127.0.0.1:${port}/${DB}?sslmode=disable`, port, dir, stop: () => (stopping ??= cleanup()) };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
