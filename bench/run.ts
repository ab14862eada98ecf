// `npm run bench`: the performance scenarios of issue 4, against a notary-server this script starts on loopback.
// Prints a table and writes the same figures as JSON to bench/results/<timestamp>.json (and latest.json).
// Counts (HTTP requests, publishes) come from the server's own log; bytes and connections from a TCP proxy in front
// of it. Timings are wall-clock on this machine, never asserted anywhere.
import path from "node:path";
import { writeFile, mkdir } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { startNotaryServer, makeTempDir, notaryOk, DEFAULT_PASSPHRASES } from "../test/support/stack.ts";
import { startProviderHost, type DynamicHost } from "../test/support/dynhost.ts";
import { startTcpProxy } from "../test/support/tcp-proxy.ts";
import { requestCursor, isPublish } from "../test/support/server-log.ts";
import { simulateEngine as engine, pool } from "../test/support/engine-sim.ts";
import { installedProject } from "../test/support/installed.ts";
import { buildGoEngine, runGoEngine } from "./go-engine.ts";
import { NotaryClient, PrivateKey, listTargets } from "../dist/sdk/src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env["BENCH_TAGS"] ?? 1000);
const PARALLEL = Number(process.env["BENCH_PARALLEL"] ?? 8); // the engine's default: 4 × GOMAXPROCS (2 cores here)
const BIG = Number(process.env["BENCH_BIG_ROLE"] ?? 10_000);

type Row = { scenario: string; wallMs: number; requests: number; publishes: number; bytesUp: number; connections: number; note?: string };
const rows: Row[] = [];

const server = await startNotaryServer();
const proxy = await startTcpProxy("127.0.0.1", server.port);
const url = `http://127.0.0.1:${proxy.port}`;
const cursor = requestCursor(() => server.log());

async function measure(scenario: string, fn: () => Promise<string | void>): Promise<Row> {
  cursor.since();
  proxy.reset();
  const t0 = performance.now();
  const note = await fn();
  const wallMs = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 200)); // let the server flush its log
  const reqs = cursor.since();
  const s = proxy.stats();
  const row: Row = { scenario, wallMs, requests: reqs.length, publishes: reqs.filter(isPublish).length, bytesUp: s.bytesUp, connections: s.connections, ...(note ? { note } : {}) };
  rows.push(row);
  console.error(`bench: ${scenario}: ${wallMs} ms, ${row.requests} requests, ${row.publishes} publishes`);
  return row;
}

const digestOf = (i: number, salt: string) => createHash("sha256").update(`${salt}-${i}`).digest("hex");

async function providerText(p: object): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: true })).text;
}
// The provider as a user's project has it: pulumi-notary installed under node_modules (so each provider serializes as
// a short require() of its module), and the provider host started in that project.
const project = await installedProject();
const texts = {
  repository: await providerText(project.providers.repository),
  signer: await providerText(project.providers.signer),
  signedTag: await providerText(project.providers.signedTag),
};

async function host(): Promise<DynamicHost> {
  return startProviderHost({ cwd: project.dir, project: "bench", config: { "notary:serverUrl": url } });
}

const pem = () => PrivateKey.generate().exportPkcs8Pem();

/** CPU time (user + system, ms) a process has used so far, from /proc (0 where there is no /proc). */
function hostCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return 0;
  }
}

/** A repository with a signer, created through the host; returns what SignedTags need. */
async function setupRepo(h: DynamicHost, gun: string) {
  const keys = { root: pem(), targets: pem(), release: PrivateKey.generate() };
  const urn = h.urn("pulumi-nodejs:dynamic/notary:Repository", gun);
  const repoIn = { __provider: texts.repository, gun, rootKey: keys.root, targetsKey: keys.targets };
  const repo = await h.create(urn, (await h.check(urn, {}, repoIn)).inputs);
  const trustedRoot = repo.properties["trustedRoot"] as string;
  // Dependents get what `repository: repo` passes (resources.ts › repoInputs): the trusted root's sha256.
  const trustedRootSha256 = repo.properties["trustedRootSha256"] as string;
  const sUrn = h.urn("pulumi-nodejs:dynamic/notary:Signer", `${gun}-ci`);
  const relPem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(keys.release.publicKey.public).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
  const sIn = { __provider: texts.signer, gun, trustedRootSha256, name: "ci", keys: [relPem], targetsKey: keys.targets };
  await h.create(sUrn, (await h.check(sUrn, {}, sIn)).inputs);
  return { trustedRoot, trustedRootSha256, releasePem: keys.release.exportPkcs8Pem(), release: keys.release };
}

function tagInputs(gun: string, trustedRootSha256: string, releasePem: string, i: number, salt: string) {
  return { __provider: texts.signedTag, gun, trustedRootSha256, tag: `t${i}`, digest: `sha256:${digestOf(i, salt)}`, size: 1000 + i, signingKeys: [releasePem] };
}

// 1. 1,000 SignedTags through the real provider host, engine-default parallelism, driven by an engine stand-in.
// The headline row uses the Go stand-in (bench/engine: grpc-go, the step generator's serial Check and the step
// executor's parallel Create, as the Pulumi engine does them); a second row drives the same work from this Node
// process (test/support/engine-sim.ts), whose own client costs ~0.4 ms per serial Check that the Go engine does not
// have. A run lasts about 2 s, short enough for this machine's moments of slowness to move it by a third, while the
// Go baselines last 10-60 s and average them out: so each is run REPS times (each a fresh host and a fresh
// repository, as separate `pulumi up`s of separate stacks) and the row reports the median, with every run in the
// note, after WARMUP runs that are not counted (the Node stand-in's own JIT warm-up). The provider host is a fresh
// process in every run, as in every `pulumi up`. Every run is checked afterwards: all N tags signed.
const REPS = Number(process.env["BENCH_REPS"] ?? 3);
const WARMUP = Number(process.env["BENCH_WARMUP"] ?? 1);
const ENGINES = (process.env["BENCH_ENGINES"] ?? "go,node").split(",") as ("go" | "node")[];
const goBin = ENGINES.includes("go") ? await buildGoEngine() : undefined;
const gunA = "bench.example.com/ours";
let setupA: (Awaited<ReturnType<typeof setupRepo>> & { gun: string }) | undefined;
const states = new Map<string, Record<string, unknown>>();

/**
 * Replaces the last rows measured (`reps`, the first `warmup` of them not counted) by one row: the median run, with
 * every run's time in its note.
 */
function medianRow(reps: Row[], warmup: number, about = ""): void {
  rows.splice(rows.length - reps.length, reps.length);
  const warmups = reps.slice(0, warmup);
  const counted = reps.slice(warmup);
  const median = [...counted].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((counted.length - 1) / 2)]!;
  const warm = warmups.length ? `; warm-up run, not counted: ${warmups.map((r) => r.wallMs).join(", ")} ms` : "";
  rows.push({ ...median, note: `median of ${counted.length} runs (${counted.map((r) => r.wallMs).join(", ")} ms${warm})${about}; that run: ${median.note}` });
}

/** How many of tags t0..t(n-1) the repository's targets/releases holds, read with a verified fetch. */
async function signedCount(gun: string, trustedRoot: string, names: string[]): Promise<number> {
  const c = new NotaryClient({ url });
  try {
    const st = await c.repository(gun, { anchor: { trustedRoot: new Uint8Array(Buffer.from(trustedRoot, "base64")) } }).fetch();
    const held = new Set(listTargets(st, ["targets/releases"]).map((t) => t.name));
    return names.filter((n) => held.has(n)).length;
  } finally {
    await c.close();
  }
}

for (const kind of ENGINES) {
  const reps: Row[] = [];
  const warmup = kind === "node" ? WARMUP : 0;
  for (let rep = -warmup; rep < REPS; rep++) {
    const h = await host();
    const gun = `${gunA}-${kind}${rep < 0 ? "-warmup" : ""}-${Math.abs(rep)}`;
    const setup = await setupRepo(h, gun);
    const keep = rep === 0 && kind === ENGINES[0];
    if (keep) setupA = { ...setup, gun };
    const urnOf = (i: number) => h.urn("pulumi-nodejs:dynamic/notary:SignedTag", `t${i}`);
    const registrations = [...Array(N).keys()].map((i) => ({ urn: urnOf(i), news: tagInputs(gun, setup.trustedRootSha256, setup.releasePem, i, "a") }));
    let created: (() => Promise<{ urn: string; id: string; properties: Record<string, unknown> }[]>) | undefined;
    const row = await measure(`${N} SignedTags via provider host (parallel ${PARALLEL}, ${kind === "go" ? "Go" : "Node"} engine stand-in)`, async () => {
      const cpu0 = process.cpuUsage();
      const host0 = hostCpuMs(h.pid);
      const marks: Record<string, number> = {};
      let standIn = "";
      if (kind === "go") {
        const r = await runGoEngine(goBin!, h.port, registrations, { parallel: PARALLEL, states: keep });
        created = r.created;
        standIn = `, Go stand-in ${Math.round(r.cpuMs)} ms`;
        Object.assign(marks, { "last check": r.lastCheckMs, "first create done": r.firstCreateMs, "inside the stand-in": r.wallMs });
      } else {
        const t0 = performance.now();
        const out: { urn: string; id: string; properties: Record<string, unknown> }[] = [];
        await engine(
          [...Array(N).keys()],
          PARALLEL,
          async (i) => {
            const c = await h.check(registrations[i]!.urn, {}, registrations[i]!.news);
            if (i === N - 1) marks["last check"] = performance.now() - t0;
            return c;
          },
          async (i, checked) => {
            const r = await h.create(registrations[i]!.urn, (checked as { inputs: Record<string, unknown> }).inputs);
            marks["first create done"] ??= performance.now() - t0;
            if (keep) out.push({ urn: registrations[i]!.urn, id: r.id, properties: r.properties });
          },
        );
        if (keep) created = async () => out;
      }
      const cpu = process.cpuUsage(cpu0);
      const cpuNote = `CPU: provider host ${hostCpuMs(h.pid) - host0} ms, this process ${Math.round((cpu.user + cpu.system) / 1000)} ms${standIn}`;
      return [...Object.entries(marks).map(([k, v]) => `${k} at ${Math.round(v)} ms`), cpuNote].join(", ");
    });
    const signed = await signedCount(gun, setup.trustedRoot, registrations.map((_, i) => `t${i}`));
    if (signed !== N) throw new Error(`${row.scenario}: only ${signed} of ${N} tags signed`);
    if (keep) for (const c of await created!()) states.set(c.urn, { ...c.properties, __id: c.id });
    reps.push(row);
    await h.stop();
  }
  medianRow(reps, warmup, `, ${N} of ${N} tags signed in each`);
}
const A = setupA!;

// 1b. The provider host's own floor: the same 1000 creates (same inputs, outputs of the same shape) of a dynamic
// provider that does no work, driven by the same Go stand-in. What is left between this row and the first is ours.
if (goBin) {
  const noop = await providerText({
    check: async (_olds: Record<string, unknown>, news: Record<string, unknown>) => ({ inputs: news }),
    create: async (inputs: Record<string, unknown>) => ({
      id: String(inputs["tag"]),
      outs: {
        ...inputs,
        signedRole: "targets/releases",
        signedRoles: ["targets/releases", "targets/ci"],
        signedDigest: inputs["digest"],
        signedSize: inputs["size"],
        mediaType: "",
        serverDigest: inputs["digest"],
        serverSize: inputs["size"],
        roleVersion: 2,
        roleExpires: "2029-11-22T07:00:00.123456789Z",
      },
    }),
  });
  const reps: Row[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const h = await host();
    const registrations = [...Array(N).keys()].map((i) => ({
      urn: h.urn("pulumi-nodejs:dynamic/Noop", `t${i}`),
      news: { ...tagInputs(A.gun, A.trustedRootSha256, A.releasePem, i, "a"), __provider: noop },
    }));
    reps.push(
      await measure(`floor: ${N} creates of a provider that does nothing, same inputs (Go engine stand-in)`, async () => {
        const host0 = hostCpuMs(h.pid);
        const r = await runGoEngine(goBin, h.port, registrations, { parallel: PARALLEL });
        return `inside the stand-in ${Math.round(r.wallMs)} ms, CPU: provider host ${hostCpuMs(h.pid) - host0} ms`;
      }),
    );
    await h.stop();
  }
  medianRow(reps, 0);
}
if (process.env["BENCH_FIRST_ONLY"]) {
  console.log(rows);
  await proxy.close();
  await server.stop();
  process.exit(0);
}

// 2. Preview of the same 1,000 unchanged tags (check + diff), in a fresh host as `pulumi preview` would.
{
  const h = await host();
  await measure(`preview of ${N} unchanged SignedTags`, async () => {
    await pool([...states.entries()], PARALLEL, async ([urn, st]) => {
      const i = Number(String(st["tag"]).slice(1));
      const checked = await h.check(urn, st, tagInputs(A.gun, A.trustedRootSha256, A.releasePem, i, "a"));
      const d = await h.diff(urn, String(st["__id"]), st, checked.inputs);
      if (d.changes !== "DIFF_NONE") throw new Error(`unexpected diff for ${urn}`);
    });
  });
  await h.stop();
}

// 3. Refresh of the 1,000 tags in a fresh host, as `pulumi refresh` would.
{
  const h = await host();
  await measure(`refresh of ${N} SignedTags`, async () => {
    await pool([...states.entries()], PARALLEL, async ([urn, st]) => {
      const { __id, ...props } = st;
      const r = await h.read(urn, String(__id), props);
      if (!r.id) throw new Error(`${urn} gone`);
    });
  });
  await h.stop();
}

// 4. The notary CLI staging N addhash changes and publishing once, as a user's shell script would run it.
// 5. Publishing after every tag with the Go client (`notary addhash -p`: fetch, verify, sign, publish per tag — what
//    `docker trust sign` does for each tag).
{
  const env = { ...process.env, ...DEFAULT_PASSPHRASES };
  // The digests are computed beforehand (a release script has them already), so the loop times only notary.
  const shellLoop = async (trustDir: string, gun: string, salt: string, publishEach: boolean) => {
    const list = path.join(trustDir, "digests.txt");
    await writeFile(list, [...Array(N).keys()].map((i) => `t${i} ${1000 + i} ${digestOf(i, salt)}\n`).join(""));
    return [
      `while read -r tag size digest; do`,
      `  notary -d '${trustDir}' -s '${url}' addhash '${gun}' "$tag" "$size" --sha256 "$digest"${publishEach ? " -p" : ""} >/dev/null || exit 1`,
      `done < '${list}'`,
      ...(publishEach ? [] : [`notary -d '${trustDir}' -s '${url}' publish '${gun}' >/dev/null`]),
    ].join("\n");
  };
  for (const [scenario, gun, publishEach] of [
    [`notary CLI: ${N} addhash staged + 1 publish (shell loop)`, "bench.example.com/notary-batch", false],
    [`per-tag publishing: notary addhash -p for each of ${N} tags (shell loop)`, "bench.example.com/per-tag", true],
  ] as const) {
    const trustDir = await makeTempDir("bench-notary");
    await notaryOk(["init", gun, "-p"], { trustDir, server: { url } });
    const script = await shellLoop(trustDir, gun, publishEach ? "p" : "n", publishEach);
    await measure(scenario, async () => {
      // Asynchronously: the TCP proxy that counts bytes runs on this process' event loop.
      const child = spawn("bash", ["-c", script], { env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      if (code !== 0) throw new Error(`${scenario} failed (exit ${code}): ${stderr}`);
    });
  }
}

// 6. Two concurrent provider hosts (two `pulumi up` runs) signing N/2 different tags each on one GUN.
{
  const h1 = await host();
  const h2 = await host();
  const gun = "bench.example.com/two-runs";
  const s = await setupRepo(h1, gun);
  const half = Math.floor(N / 2);
  const regsOf = (h: DynamicHost, k: number) =>
    [...Array(half).keys()].map((i) => ({
      urn: h.urn("pulumi-nodejs:dynamic/notary:SignedTag", `r${k}-t${i}`),
      news: { ...tagInputs(gun, s.trustedRootSha256, s.releasePem, i, `r${k}`), tag: `r${k}-t${i}` },
    }));
  const kind = ENGINES[0]!;
  const row = await measure(`two concurrent runs × ${half} tags on one GUN (${kind === "go" ? "Go" : "Node"} engine stand-ins)`, async () => {
    await Promise.all(
      [h1, h2].map(async (h, k) => {
        const regs = regsOf(h, k);
        if (kind === "go") return void (await runGoEngine(goBin!, h.port, regs, { parallel: PARALLEL }));
        await engine(
          regs,
          PARALLEL,
          (r) => h.check(r.urn, {}, r.news),
          async (r, checked) => {
            await h.create(r.urn, (checked as { inputs: Record<string, unknown> }).inputs);
          },
        );
      }),
    );
  });
  const names = [0, 1].flatMap((k) => [...Array(half).keys()].map((i) => `r${k}-t${i}`));
  row.note = `${await signedCount(gun, s.trustedRoot, names)} of ${2 * half} tags signed at the end`;
  if (!row.note?.startsWith(`${2 * half} of`)) console.error(`bench: WARNING ${row.note}`);
  await h1.stop();
  await h2.stop();
}

// 7. Verify and re-sign a role holding BIG targets.
{
  const gun = "bench.example.com/big";
  const root = PrivateKey.generate(), targets = PrivateKey.generate();
  const c = new NotaryClient({ url });
  const repo = c.repository(gun, { anchor: { tofu: true } });
  await repo.initialize({ rootKey: root, targetsKey: targets });
  const meta = (i: number) => ({ length: i + 1, hashes: { sha256: Buffer.from(digestOf(i, "big"), "hex").toString("base64") } });
  await repo.publish([...Array(BIG).keys()].map((i) => ({ type: "setTarget" as const, role: "targets", name: `big-${i}`, meta: meta(i) })), { keys: [targets] });
  const rootBytes = repo.state!.root.bytes;
  await c.close();
  const mem0 = process.memoryUsage().rss;
  await measure(`verify + add 1 + re-sign a ${BIG}-target role (fresh client)`, async () => {
    const c2 = new NotaryClient({ url });
    const r2 = c2.repository(gun, { anchor: { trustedRoot: rootBytes } });
    await r2.fetch();
    await r2.publish([{ type: "setTarget", role: "targets", name: "one-more", meta: meta(BIG + 1) }], { keys: [targets] });
    await c2.close();
    const mb = Math.round((process.memoryUsage().rss - mem0) / 1e6);
    return `rss ${mb >= 0 ? "+" : ""}${mb} MB`;
  });
}

await proxy.close();
await server.stop();

// Ratios against the first engine's row (the Go stand-in unless BENCH_ENGINES says otherwise).
const ours = rows[0]!;
const batch = rows.find((r) => r.scenario.startsWith("notary CLI:"))!;
const perTag = rows.find((r) => r.scenario.startsWith("per-tag publishing"))!;
const summary = {
  date: new Date().toISOString(),
  machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
  tags: N,
  parallel: PARALLEL,
  rows,
  ratios: {
    notaryBatchOverOurs: +(batch.wallMs / ours.wallMs).toFixed(1),
    perTagOverOurs: +(perTag.wallMs / ours.wallMs).toFixed(1),
  },
};
console.log("| scenario | wall ms | HTTP requests | publishes | bytes up | connections | note |");
console.log("|---|---:|---:|---:|---:|---:|---|");
for (const r of rows) console.log(`| ${r.scenario} | ${r.wallMs} | ${r.requests} | ${r.publishes} | ${r.bytesUp} | ${r.connections} | ${r.note ?? ""} |`);
console.log(`\nnotary CLI batch / ours: ${summary.ratios.notaryBatchOverOurs}×; per-tag / ours: ${summary.ratios.perTagOverOurs}×`);
await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
const file = path.join(ROOT, "bench/results", `${summary.date.replace(/[:.]/g, "-")}.json`);
await writeFile(file, JSON.stringify(summary, null, 2) + "\n");
await writeFile(path.join(ROOT, "bench/results/latest.json"), JSON.stringify(summary, null, 2) + "\n");
console.log(`written ${path.relative(ROOT, file)}`);
process.exit(0);
