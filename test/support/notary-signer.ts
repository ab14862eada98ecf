/**
 * The Debian `notary-signer` 0.7.0 on 127.0.0.1 for tests: the production signing service that notary-server reaches
 * over gRPC with TLS (`trust_service.type: "remote"`), keeping the timestamp/snapshot private keys encrypted in
 * PostgreSQL, so they survive restarts of notary-server and of the signer itself.
 *
 * - Its own database in the test cluster (`startPostgres`), with SIGNER_SCHEMA (`notary-signer -bootstrap` refuses SQL
 *   stores, like notary-server, and the Debian package ships no migrations).
 * - A fresh test CA and a certificate for IP 127.0.0.1 / DNS localhost, notary-signer; notary-server dials 127.0.0.1
 *   (gRPC takes the TLS server name from the dialled host) and verifies with `tls_ca_file`. No client certificate.
 * - Keys are encrypted with the passphrase of `storage.default_alias`, read from `NOTARY_SIGNER_<ALIAS>`.
 * - Ready once the gRPC health service answers SERVING over TLS; stopped by pid with a watchdog (stack.ts launchDaemon).
 * - After a signer restart, notary-server's gRPC client needs about 1 s (its reconnect back-off) to reach it again; until
 *   then every request needing a key fails: publish answers 400 "…validation: rpc error: code = Unavailable…",
 *   `timestamp.key` 500, while `/_notary_server/health` still says 200. `untilServerSigns` waits that out.
 *
 * @example
 * const pg = await startPostgres();
 * const signer = await startNotarySigner({ postgres: pg });
 * const server = await startNotaryServer({ postgresUrl: pg.url, signer });
 * after(async () => { await server.stop(); await signer.stop(); await pg.stop(); });
 */
import { writeFile } from "node:fs/promises";
import http2 from "node:http2";
import path from "node:path";
import { postgresBinDir, type Postgres } from "./postgres.ts";
import { httpRequest, launchDaemon, makeTempDir, makeTlsMaterial, removeTempDir, runProcess, withPortRetry } from "./stack.ts";
import type { NotaryServer } from "./stack.ts";

/** The table notary-signer 0.7.0 reads and writes (upstream migrations/signer/postgresql, checked against its SQL). */
export const SIGNER_SCHEMA = `
CREATE TABLE private_keys (
  id serial PRIMARY KEY,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  deleted_at timestamp NULL DEFAULT NULL,
  key_id varchar(255) NOT NULL,
  encryption_alg varchar(255) NOT NULL,
  keywrap_alg varchar(255) NOT NULL,
  algorithm varchar(50) NOT NULL,
  passphrase_alias varchar(50) NOT NULL,
  public bytea NOT NULL,
  private bytea NOT NULL,
  gun varchar(255) NOT NULL,
  role varchar(255) NOT NULL,
  last_used timestamp NULL DEFAULT NULL,
  CONSTRAINT key_id UNIQUE (key_id),
  CONSTRAINT key_id_2 UNIQUE (key_id, algorithm)
);
`;

export const NOTARY_SIGNER_BIN = "/usr/bin/notary-signer";
/** `storage.default_alias`; its passphrase is the environment variable NOTARY_SIGNER_HARNESS. */
export const SIGNER_ALIAS = "harness";
const SIGNER_PASSPHRASE = "signerpass123"; // test-only value

export interface NotarySigner {
  /** What notary-server dials (`trust_service.hostname`): 127.0.0.1, a SAN of the certificate. */
  hostname: string;
  port: number;
  /** `127.0.0.1:PORT` (the gRPC address). */
  host: string;
  pid: number;
  /** The CA of the signer's certificate (`trust_service.tls_ca_file`). */
  caFile: string;
  caPem: string;
  /** The signer's database, e.g. `postgres://postgres@127.0.0.1:PORT/notarysigner?sslmode=disable`. */
  dbUrl: string;
  /** The temp dir holding config.json, the log and the TLS material. */
  dir: string;
  configFile: string;
  /** The signer's JSON log so far, across restarts (kept after stop). */
  log(): string;
  /** Stops notary-signer by pid and starts it again (same config, port and database); `pid` changes, keys stay. */
  restart(): Promise<void>;
  /** Stops it and removes its dir; idempotent. The database is left to the cluster. */
  stop(): Promise<void>;
}

let databases = 0;

/** Runs SQL in database `db` of the cluster with psql; throws with stderr unless it exits 0. */
async function psql(pg: Postgres, db: string, sql: string): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PG")) env[k] = v;
  const args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", db, "-c", sql];
  const r = await runProcess(path.join(postgresBinDir(), "psql"), args, { env, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`psql -d ${db} failed (exit ${r.code}): ${r.stderr}`);
}

/**
 * Resolves once `grpc.health.v1.Health/Check` (all services) answers SERVING over TLS verified with `caPem`; throws
 * otherwise (1 s limit). The request is the empty HealthCheckRequest; SERVING is the message `08 01`.
 */
async function grpcHealthCheck(host: string, caPem: string): Promise<void> {
  const session = http2.connect(`https://${host}`, { ca: caPem });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("gRPC health check timed out")), 1_000);
      const done = (e?: Error): void => {
        clearTimeout(timer);
        if (e === undefined) resolve();
        else reject(e);
      };
      session.once("error", done);
      const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers" });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      req.on("response", (headers) => (status = headers["grpc-status"]?.toString() ?? status));
      req.on("trailers", (trailers) => (status = trailers["grpc-status"]?.toString() ?? status));
      req.on("data", (c: Buffer) => chunks.push(c));
      req.once("error", done);
      req.once("end", () => {
        const body = Buffer.concat(chunks);
        if (status !== "0") done(new Error(`gRPC health check: grpc-status ${status ?? "missing"}`));
        else if (!body.subarray(5).equals(Buffer.from([0x08, 0x01]))) done(new Error(`gRPC health check: not SERVING (${body.toString("hex")})`));
        else done();
      });
      req.end(Buffer.alloc(5)); // uncompressed, length 0
    });
  } finally {
    session.destroy();
  }
}

/**
 * Creates database `notarysigner` (`notarysigner_2`, … for further signers on the same cluster) with SIGNER_SCHEMA,
 * starts notary-signer on a free 127.0.0.1 port with PostgreSQL storage, and waits for its gRPC health service.
 * @example const signer = await startNotarySigner({ postgres: pg }); const server = await startNotaryServer({ signer });
 */
export async function startNotarySigner(opts: { postgres: Postgres; logLevel?: "debug" | "info" | "warn" | "error" }): Promise<NotarySigner> {
  const pg = opts.postgres;
  const db = ++databases === 1 ? "notarysigner" : `notarysigner_${databases}`;
  const dbUrl = `postgres://postgres@127.0.0.1:${pg.port}/${db}?sslmode=disable`;
  const dir = await makeTempDir("notary-signer");
  try {
    await psql(pg, "postgres", `CREATE DATABASE ${db}`);
    await psql(pg, db, SIGNER_SCHEMA);
    const tls = await makeTlsMaterial(dir, { dnsNames: ["notary-signer"] });
    return await withPortRetry(async (port) => {
      const host = `127.0.0.1:${port}`;
      const config = {
        server: { grpc_addr: host, tls_cert_file: tls.certFile, tls_key_file: tls.keyFile },
        storage: { backend: "postgres", db_url: dbUrl, default_alias: SIGNER_ALIAS },
        logging: { level: opts.logLevel ?? "info" },
      };
      const configFile = path.join(dir, "config.json");
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const { restart, ...daemon } = await launchDaemon({
        bin: NOTARY_SIGNER_BIN,
        args: ["-config", configFile],
        dir,
        logFile: path.join(dir, `signer-${port}.log`),
        env: { [`NOTARY_SIGNER_${SIGNER_ALIAS.toUpperCase()}`]: SIGNER_PASSPHRASE },
        what: `notary-signer gRPC health on ${host}`,
        probe: () => grpcHealthCheck(host, tls.caPem),
        cleanup: () => removeTempDir(dir),
      });
      const signer: NotarySigner = {
        hostname: "127.0.0.1",
        port,
        host,
        caFile: tls.caFile,
        caPem: tls.caPem,
        dbUrl,
        dir,
        configFile,
        ...daemon,
        restart: async () => void (signer.pid = await restart()),
      };
      return signer;
    });
  } catch (e) {
    await removeTempDir(dir);
    throw e;
  }
}

/**
 * Polls `GET /v2/<gun>/_trust/tuf/timestamp.key` on `server` (a gRPC GetKeyInfo on its signer) until it answers 200, up
 * to `timeoutMs`; throws with the last status otherwise. `gun` must already be published (else each call creates a new
 * key), and the server must not use auth.
 */
export async function untilServerSigns(server: Pick<NotaryServer, "url" | "caPem">, gun: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await httpRequest(`${server.url}/v2/${gun}/_trust/tuf/timestamp.key`, { ...(server.caPem !== undefined ? { ca: server.caPem } : {}), timeoutMs: 2_000 });
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${res.body.toString().slice(0, 200)}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${server.url} did not reach its signer within ${timeoutMs} ms: ${last}`);
}
