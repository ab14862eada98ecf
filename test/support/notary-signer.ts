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
 */
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { psql, type Postgres } from "./postgres.ts";
import { httpRequest, launchDaemon, makeTempDir, makeTlsMaterial, removeTempDir, withPortRetry, type NotaryServer } from "./stack.ts";

/** The table notary-signer 0.7.0 reads and writes (upstream migrations/signer/postgresql, checked against its SQL). */
const SIGNER_SCHEMA = `
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

const NOTARY_SIGNER_BIN = "/usr/bin/notary-signer";
/** `storage.default_alias`; its passphrase is the environment variable NOTARY_SIGNER_HARNESS. */
const SIGNER_ALIAS = "harness";
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
  /** The signer's JSON log so far, across restarts (kept after stop). */
  log(): string;
  /** Stops notary-signer by pid and starts it again (same config, port and database); `pid` changes, keys stay. */
  restart(): Promise<void>;
  /** Stops it and removes its dir; idempotent. The database is left to the cluster. */
  stop(): Promise<void>;
}

let databases = 0;

// @pulumi/pulumi's grpc-js, for the health check.
const grpc = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/package.json"))("@grpc/grpc-js");

/** Resolves once `grpc.health.v1.Health/Check` (all services) answers SERVING (`08 01`) over TLS verified with `caPem`. */
async function grpcHealthCheck(host: string, caPem: string): Promise<void> {
  const client = new grpc.Client(host, grpc.credentials.createSsl(Buffer.from(caPem)));
  const raw = (b: Buffer): Buffer => b;
  try {
    const body = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest("/grpc.health.v1.Health/Check", raw, raw, Buffer.alloc(0), { deadline: Date.now() + 1_000 }, (e: Error | null, r: Buffer) => (e ? reject(e) : resolve(r))),
    );
    if (!body.equals(Buffer.from([0x08, 0x01]))) throw new Error(`gRPC health check: not SERVING (${body.toString("hex")})`);
  } finally {
    client.close();
  }
}

/**
 * Creates database `notarysigner` (`notarysigner_2`, … for further signers on the same cluster) with SIGNER_SCHEMA,
 * starts notary-signer on a free 127.0.0.1 port with PostgreSQL storage, and waits for its gRPC health service.
 */
export async function startNotarySigner(opts: { postgres: Postgres }): Promise<NotarySigner> {
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
        logging: { level: "info" },
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
