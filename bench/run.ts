// `npm run bench`: the performance scenarios of issues 4 and 9, against a notary-server this script starts on loopback.
// The headline rows run the real Pulumi CLI (built by scripts/pulumi-cli.sh) on bench/program in a project that
// installed pulumi-notary as users install it; the baselines are the Go notary CLI as a shell loop runs it. Prints a
// table and writes the same figures as JSON to bench/results/<timestamp>.json (and latest.json). Counts (HTTP
// requests, publishes) come from the server's own log; bytes and connections from a TCP proxy in front of it. Timings
// are wall-clock on this machine, never asserted anywhere.
//
// Environment: BENCH_TAGS (default 1000), BENCH_BIG_ROLE (10000), BENCH_ONLY=cli (skip the notary baselines).
import path from "node:path";
import os from "node:os";
import { writeFile, mkdir } from "node:fs/promises";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { startNotaryServer, makeTempDir, notaryOk, DEFAULT_PASSPHRASES } from "../test/support/stack.ts";
import { startTcpProxy } from "../test/support/tcp-proxy.ts";
import { requestCursor, isPublish } from "../test/support/server-log.ts";
import { cliScenarios, type Measure, type Row } from "./cli.ts";
import { NotaryClient, PrivateKey } from "../dist/sdk/src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env["BENCH_TAGS"] ?? 1000);
const BIG = Number(process.env["BENCH_BIG_ROLE"] ?? 10_000);
const rows: Row[] = [];

const server = await startNotaryServer();
const proxy = await startTcpProxy("127.0.0.1", server.port);
const url = `http://127.0.0.1:${proxy.port}`;
const cursor = requestCursor(() => server.log());

const measure: Measure = async (scenario, fn) => {
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
  console.error(`bench: ${scenario}: ${wallMs} ms, ${row.requests} requests, ${row.publishes} publishes${note ? ` (${note})` : ""}`);
  return row;
};

const digestOf = (i: number, salt: string) => createHash("sha256").update(`${salt}-${i}`).digest("hex");

// 1. The real Pulumi CLI: 1000 new SignedTags in one `pulumi up`, the floor, preview, refresh, two stacks at once.
await cliScenarios({ url, n: N, measure });

// 2. The notary CLI staging N addhash changes and publishing once, as a user's shell script would run it.
// 3. Publishing after every tag with the Go client (`notary addhash -p`: fetch, verify, sign, publish per tag — what
//    `docker trust sign` does for each tag).
if (process.env["BENCH_ONLY"] !== "cli") {
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

// 4. Verify and re-sign a role holding BIG targets (the SDK).
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
  await measure(`verify + add 1 + re-sign a ${BIG}-target role (SDK, fresh client)`, async () => {
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

const row = (prefix: string) => rows.find((r) => r.scenario.startsWith(prefix));
const ratio = (a: Row | undefined, b: Row | undefined) => (a && b ? +(a.wallMs / b.wallMs).toFixed(2) : null);
const ours = row("pulumi up: ");
const oursSkip = row("pulumi up, PULUMI_SKIP_CHECKPOINTS");
const batch = row("notary CLI:");
const perTag = row("per-tag publishing");
const summary = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, node: process.version },
  tags: N,
  rows,
  ratios: {
    notaryBatchOverOurs: ratio(batch, ours),
    perTagOverOurs: ratio(perTag, ours),
    oursOverFloor: ratio(ours, row("floor: pulumi up: ")),
    notaryBatchOverOursSkipCheckpoints: ratio(batch, oursSkip),
    perTagOverOursSkipCheckpoints: ratio(perTag, oursSkip),
    oursOverFloorSkipCheckpoints: ratio(oursSkip, row("floor: pulumi up, PULUMI_SKIP_CHECKPOINTS")),
  },
};
console.log("| scenario | wall ms | HTTP requests | publishes | bytes up | connections | note |");
console.log("|---|---:|---:|---:|---:|---:|---|");
for (const r of rows) console.log(`| ${r.scenario} | ${r.wallMs} | ${r.requests} | ${r.publishes} | ${r.bytesUp} | ${r.connections} | ${r.note ?? ""} |`);
console.log(`\nratios: ${JSON.stringify(summary.ratios)}`);
await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
const file = path.join(ROOT, "bench/results", `${summary.date.replace(/[:.]/g, "-")}.json`);
await writeFile(file, JSON.stringify(summary, null, 2) + "\n");
await writeFile(path.join(ROOT, "bench/results/latest.json"), JSON.stringify(summary, null, 2) + "\n");
console.log(`written ${path.relative(ROOT, file)}`);
process.exit(0);
