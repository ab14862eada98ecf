// Proves the test stack's PostgreSQL storage (test/support/postgres.ts, startNotaryServer({ postgresUrl })) and
// `NotaryServer.restart()` against the real Debian notary-server: trust data published through the Go `notary` CLI is
// served again after a restart on PostgreSQL, and is gone after a restart on memory storage. With the local signer a
// restart loses the timestamp key; with notary-signer on PostgreSQL (test/support/notary-signer.ts, the production
// set-up) publishing goes on across restarts of notary-server and of the signer.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startNotarySigner, untilServerSigns, type NotarySigner } from "../support/notary-signer.ts";
import { postgresBinDir, startPostgres, type Postgres } from "../support/postgres.ts";
import { httpRequest, makeTempDir, notaryCli, notaryOk, runProcess, startNotaryServer, type NotaryServer } from "../support/stack.ts";

const GUN = "example.com/harness/pg";
const hello = { size: "5", digest: createHash("sha256").update("hello").digest("hex") };

/** The tags `notary list` prints (first column), read with a fresh trust dir so nothing comes from a local cache. */
async function listTags(server: NotaryServer, gun = GUN): Promise<{ code: number; tags: string[]; output: string }> {
  const r = await notaryCli(["list", gun], { trustDir: await makeTempDir("trust-list"), server });
  const tags = r.code !== 0 ? [] : r.stdout.split("\n").slice(2).map((l) => l.split(/\s+/)[0] ?? "").filter((t) => t !== "");
  // notary 0.7.0 prints "* fatal: …" on stdout, not stderr.
  return { code: r.code, tags, output: r.stdout + r.stderr };
}

async function getStatus(server: NotaryServer, urlPath: string): Promise<number> {
  return (await httpRequest(`${server.url}${urlPath}`, server.caPem !== undefined ? { ca: server.caPem } : {})).status;
}

/** `notary init GUN -p` and `addhash GUN tag … -p`; returns the publisher's trust dir. */
async function publish(server: NotaryServer, tag: string): Promise<string> {
  const trustDir = await makeTempDir("trust");
  await notaryOk(["init", GUN, "-p"], { trustDir, server });
  await notaryOk(["addhash", GUN, tag, hello.size, "--sha256", hello.digest, "-p"], { trustDir, server });
  return trustDir;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("notary-server on PostgreSQL, restarted mid-test", () => {
  let pg: Postgres | undefined;
  let onPg: NotaryServer | undefined;
  let inMemory: NotaryServer | undefined;
  let publisherTrust: string;

  before(async () => {
    pg = await startPostgres();
    onPg = await startNotaryServer({ postgresUrl: pg.url, tls: true });
    inMemory = await startNotaryServer();
  });
  after(async () => {
    await inMemory?.stop();
    await onPg?.stop();
    await pg?.stop();
  });

  it("serves the trust data again after a restart; memory storage loses it", async () => {
    const server = onPg!;
    const memory = inMemory!;
    publisherTrust = await publish(server, "v1");
    await publish(memory, "v1");
    assert.deepEqual((await listTags(server)).tags, ["v1"]);
    assert.deepEqual((await listTags(memory)).tags, ["v1"]);

    const [pgPid, memPid, port] = [server.pid, memory.pid, server.port];
    await server.restart();
    await memory.restart();
    assert.notEqual(server.pid, pgPid, "a new process");
    assert.equal(alive(pgPid), false, "the old process is gone");
    assert.equal(server.port, port);
    assert.equal(await getStatus(server, "/_notary_server/health"), 200);

    const listed = await listTags(server);
    assert.equal(listed.code, 0, listed.output);
    assert.deepEqual(listed.tags, ["v1"], "PostgreSQL kept the data");
    assert.equal(await getStatus(server, `/v2/${GUN}/_trust/tuf/targets.json`), 200);

    assert.notEqual(memory.pid, memPid);
    const lost = await listTags(memory);
    assert.notEqual(lost.code, 0, "memory storage came back empty");
    assert.match(lost.output, /does not have trust data/);
    assert.equal(await getStatus(memory, `/v2/${GUN}/_trust/tuf/targets.json`), 404);
  });

  it("the changefeed (its `category` column) has the publishes", async () => {
    const server = onPg!;
    const res = await httpRequest(`${server.url}/v2/_trust/changefeed?change_id=0&records=100`, { ca: server.caPem! });
    assert.equal(res.status, 200, res.body.toString());
    const feed = JSON.parse(res.body.toString()) as { records: { GUN: string; Version: number; Category: string }[] };
    assert.deepEqual(
      feed.records.map((r) => [r.GUN, r.Version, r.Category]),
      [[GUN, 1, "update"], [GUN, 2, "update"]],
      "one change per timestamp version",
    );
  });

  it("the local signer's keys do not survive a restart: publishing needs a timestamp key rotation first", async () => {
    const server = onPg!;
    const opts = { trustDir: publisherTrust, server };
    const refused = await notaryCli(["addhash", GUN, "v2", hello.size, "--sha256", hello.digest, "-p"], opts);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /no\s+timestamp keys exist on the server/);
    await notaryOk(["reset", GUN, "--all"], opts);
    await notaryOk(["key", "rotate", GUN, "timestamp", "-r"], opts);
    await notaryOk(["addhash", GUN, "v2", hello.size, "--sha256", hello.digest, "-p"], opts);
    await server.restart();
    assert.deepEqual((await listTags(server)).tags.sort(), ["v1", "v2"]);
  });

  it("stop() after restarts stops the current process and cleans up once; the cluster stops too", async () => {
    const [server, cluster] = [onPg!, pg!];
    const pid = server.pid;
    await Promise.all([server.stop(), server.stop()]);
    assert.equal(alive(pid), false);
    await assert.rejects(server.restart(), /restart after stop/);
    assert.match(server.log(), /Starting on 127\.0\.0\.1/, "the log is kept after stop");
    await cluster.stop();
    if (process.env["NOTARY_TEST_KEEP_TMP"] !== "1") assert.equal(existsSync(cluster.dir), false);
    await assert.rejects(httpRequest(`http://127.0.0.1:${cluster.port}/`, { timeoutMs: 1_000 }), /ECONNREFUSED/);
  });
});

describe("notary-server on PostgreSQL with notary-signer on PostgreSQL, both restarted mid-test", () => {
  const SGUN = "example.com/harness/signer";
  let pg: Postgres | undefined;
  let signer: NotarySigner | undefined;
  let server: NotaryServer | undefined;
  let trustDir: string;
  let timestampKey: string;

  before(async () => {
    pg = await startPostgres();
    signer = await startNotarySigner({ postgres: pg });
    server = await startNotaryServer({ postgresUrl: pg.url, signer, tls: true });
    trustDir = await makeTempDir("trust-signer");
  });
  after(async () => {
    await server?.stop();
    await signer?.stop();
    await pg?.stop();
  });

  /** `notary add SGUN tag <file> -p` with the publisher's trust dir. */
  const add = async (tag: string): Promise<void> => {
    const file = path.join(trustDir, `${tag}.txt`);
    await writeFile(file, `content of ${tag}`);
    await notaryOk(["add", SGUN, tag, file, "-p"], { trustDir, server: server! });
  };
  const getTimestampKey = async (): Promise<string> => {
    const res = await httpRequest(`${server!.url}/v2/${SGUN}/_trust/tuf/timestamp.key`, { ca: server!.caPem! });
    assert.equal(res.status, 200, res.body.toString());
    return res.body.toString();
  };

  it("init + add publish; the server's timestamp key is an ECDSA key held encrypted in the signer's database", async () => {
    await notaryOk(["init", SGUN, "-p"], { trustDir, server: server! });
    await add("v1");
    assert.deepEqual((await listTags(server!, SGUN)).tags, ["v1"]);
    timestampKey = await getTimestampKey();
    assert.equal((JSON.parse(timestampKey) as { keytype: string }).keytype, "ecdsa");

    const sql = "SELECT gun, role, algorithm, passphrase_alias, encryption_alg, position('PRIVATE KEY' in convert_from(private, 'UTF8')) FROM private_keys";
    const r = await runProcess(path.join(postgresBinDir(), "psql"), ["-X", "-At", "-F", " ", "-h", "127.0.0.1", "-p", String(pg!.port), "-U", "postgres", "-d", "notarysigner", "-c", sql], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [`${SGUN} timestamp ecdsa harness A256GCM 0`], "one timestamp key, encrypted (no PEM in it)");
  });

  it("after server.restart() the next publish succeeds with the same timestamp key, and both tags are listed", async () => {
    const pid = server!.pid;
    await server!.restart();
    assert.notEqual(server!.pid, pid);
    await add("v2");
    const listed = await listTags(server!, SGUN);
    assert.equal(listed.code, 0, listed.output);
    assert.deepEqual(listed.tags.sort(), ["v1", "v2"]);
    assert.equal(await getTimestampKey(), timestampKey, "the signer kept the key");
  });

  it("after signer.restart() the server reaches the signer again (about 1 s) and publishing goes on", async () => {
    const pid = signer!.pid;
    await signer!.restart();
    assert.notEqual(signer!.pid, pid);
    assert.equal(alive(pid), false);
    await untilServerSigns(server!, SGUN);
    await add("v3");
    assert.deepEqual((await listTags(server!, SGUN)).tags.sort(), ["v1", "v2", "v3"]);
    assert.equal(await getTimestampKey(), timestampKey);
    assert.match(signer!.log(), /Sign: Signed/);
  });

  it("stop() stops both processes; the logs are kept", async () => {
    const [serverPid, signerPid] = [server!.pid, signer!.pid];
    await server!.stop();
    await Promise.all([signer!.stop(), signer!.stop()]);
    assert.equal(alive(serverPid), false);
    assert.equal(alive(signerPid), false);
    await assert.rejects(signer!.restart(), /restart after stop/);
    assert.match(signer!.log(), /CreateKey: Created KeyID/);
  });
});
