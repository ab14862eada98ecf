// The benchmark's real-CLI scenarios: the Pulumi CLI of scripts/pulumi-cli.sh runs bench/program in a project that
// installed pulumi-notary as users install it (npm pack, under node_modules), with a local file backend.
import { copyFile } from "node:fs/promises";
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PulumiStack, type PulumiResult } from "../test/support/pulumi-cli.ts";
import { installedProject } from "../test/support/installed.ts";
import { NotaryClient, PrivateKey, keyToJson, listTargets } from "../dist/sdk/src/index.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A repository with a `targets/releases` delegation for the release key, made with the SDK (not timed). */
export interface BenchRepo {
  gun: string;
  rootKeyId: string;
  trustedRoot: Uint8Array;
  releasePem: string;
}

export async function setupRepository(url: string, gun: string): Promise<BenchRepo> {
  const root = PrivateKey.generate();
  const targets = PrivateKey.generate();
  const release = PrivateKey.generate();
  const c = new NotaryClient({ url });
  try {
    const repo = c.repository(gun, { anchor: { tofu: true } });
    const st = await repo.initialize({ rootKey: root, targetsKey: targets });
    await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(release.publicKey)], threshold: 1, paths: [""] }], { keys: [targets] });
    return { gun, rootKeyId: st.root.signed.roles["root"]!.keyids[0]!, trustedRoot: st.root.bytes, releasePem: release.exportPkcs8Pem() };
  } finally {
    await c.close();
  }
}

/** How many of `names` the repository's targets/releases holds, read with a verified fetch. */
export async function signedCount(url: string, repo: BenchRepo, names: string[]): Promise<number> {
  const c = new NotaryClient({ url });
  try {
    const st = await c.repository(repo.gun, { anchor: { trustedRoot: repo.trustedRoot } }).fetch();
    const held = new Set(listTargets(st, ["targets/releases"]).map((t) => t.name));
    return names.filter((n) => held.has(n)).length;
  } finally {
    await c.close();
  }
}

/** The installed project, with bench/program copied in. */
export async function benchProject(): Promise<string> {
  const project = await installedProject();
  for (const f of ["Pulumi.yaml", "index.ts"]) await copyFile(path.join(HERE, "program", f), path.join(project.dir, f));
  return project.dir;
}

/** A new stack of the bench project, configured for `repo` with `tags` tags (`noop`: the floor's resources). */
export async function benchStack(dir: string, name: string, url: string, repo: BenchRepo, o: { tags: number; mode?: "noop"; salt?: string; prefix?: string }): Promise<PulumiStack> {
  const s = await PulumiStack.init({ dir, stack: name });
  await s.setConfig({
    "notary:serverUrl": url,
    "notary-bench:gun": repo.gun,
    "notary-bench:rootKeyId": repo.rootKeyId,
    "notary-bench:tags": String(o.tags),
    "notary-bench:salt": o.salt ?? "a",
    "notary-bench:prefix": o.prefix ?? "t",
    "notary-bench:mode": o.mode ?? "notary",
    "notary-bench:releaseKeyPem": { secret: repo.releasePem },
  });
  return s;
}

/** The state file's size in bytes (the file backend keeps one JSON checkpoint per stack). */
export function stateBytes(s: PulumiStack): number {
  try {
    return statSync(path.join(s.home, "state", ".pulumi", "stacks", "notary-bench", `${s.stack}.json`)).size;
  } catch {
    return 0;
  }
}

/** The CLI's own summary ("Duration: 12s"), resource counts and, when measured, the CPU of the command tree. */
export function summaryOf(r: PulumiResult): string {
  const changes = r.events.find((e) => e.summaryEvent)?.summaryEvent?.resourceChanges ?? {};
  const duration = /Duration: (\S+)/.exec(r.stdout)?.[1];
  const cpu = r.cpuMs === undefined ? "" : `; CPU ${r.cpuMs} ms`;
  return `${Object.entries(changes).map(([k, v]) => `${v} ${k}`).join(", ")}${duration ? `; CLI Duration ${duration}` : ""}${cpu}`;
}

export type Row = { scenario: string; wallMs: number; requests: number; publishes: number; bytesUp: number; connections: number; note?: string };
export type Measure = (scenario: string, fn: () => Promise<string | void>) => Promise<Row>;

const names = (n: number, prefix = "t") => [...Array(n).keys()].map((i) => `${prefix}${i}`);

/**
 * The real-CLI rows. Each `pulumi up` is a new stack (fresh state) on a new repository made with the SDK beforehand,
 * and is checked afterwards (every tag signed, read back with a verified fetch). `pulumi up --yes` previews first, as
 * users run it. PULUMI_SKIP_CHECKPOINTS is the engine's own setting that writes the state once at the end instead of
 * after every step.
 */
export async function cliScenarios(o: { url: string; n: number; measure: Measure }): Promise<void> {
  const { url, n, measure } = o;
  const dir = await benchProject();
  const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
  let kept: { stack: PulumiStack; repo: BenchRepo } | undefined;
  for (const [label, env] of [["pulumi up", {}], ["pulumi up, PULUMI_SKIP_CHECKPOINTS=true", skip]] as const) {
    for (const mode of ["notary", "noop"] as const) {
      const repo = await setupRepository(url, `bench.example.com/${mode}-${label.length}`);
      const stack = await benchStack(dir, mode, url, repo, { tags: n, ...(mode === "noop" ? { mode } : {}) });
      const scenario = `${mode === "noop" ? "floor: " : ""}${label}: ${n} new ${mode === "noop" ? "do-nothing dynamic resources, same inputs" : "SignedTags"}`;
      await measure(scenario, async () => {
        const result = await stack.run(["up", "--yes"], { env, measureCpu: true });
        const perResource = Math.round(stateBytes(stack) / n);
        return `${summaryOf(result)} (CLI, language host, program, provider host); state ${perResource} B per resource`;
      });
      if (mode === "notary") {
        const signed = await signedCount(url, repo, names(n));
        if (signed !== n) throw new Error(`${scenario}: only ${signed} of ${n} tags signed`);
        kept ??= { stack, repo };
      }
    }
  }
  // The engine runs at most --parallel creates at once (default 8 here: 4 × 2 cores), and a SignedTag's create
  // returns once its tag is published, so one publish carries at most that many tags: more parallelism, fewer publishes.
  {
    const repo = await setupRepository(url, "bench.example.com/parallel-64");
    const stack = await benchStack(dir, "parallel", url, repo, { tags: n });
    await measure(`pulumi up --parallel 64, PULUMI_SKIP_CHECKPOINTS=true: ${n} new SignedTags`, async () => {
      const result = await stack.run(["up", "--yes", "--parallel", "64"], { env: skip, measureCpu: true });
      return summaryOf(result);
    });
    const signed = await signedCount(url, repo, names(n));
    if (signed !== n) throw new Error(`--parallel 64: only ${signed} of ${n} tags signed`);
  }
  const { stack } = kept!;
  await measure(`pulumi preview of the ${n} unchanged SignedTags`, async () => {
    const result = await stack.run(["preview", "--expect-no-changes"], { measureCpu: true });
    return summaryOf(result);
  });
  await measure(`pulumi refresh of the ${n} SignedTags`, async () => {
    const result = await stack.run(["refresh", "--yes"], { measureCpu: true });
    return summaryOf(result);
  });
  // Two stacks (two CI jobs) signing n/2 different tags each on one GUN at the same time.
  const half = Math.floor(n / 2);
  const repo = await setupRepository(url, "bench.example.com/two-stacks");
  const stacks = await Promise.all(["a", "b"].map((salt) => benchStack(dir, `two-${salt}`, url, repo, { tags: half, salt, prefix: salt })));
  const row = await measure(`two stacks, pulumi up at once, ${half} SignedTags each on one GUN`, async () => {
    const rs = await Promise.all(stacks.map((s) => s.run(["up", "--yes"])));
    return rs.map(summaryOf).join(" / ");
  });
  const signed = await signedCount(url, repo, [...names(half, "a"), ...names(half, "b")]);
  row.note = `${row.note}; ${signed} of ${2 * half} tags signed at the end`;
  if (signed !== 2 * half) throw new Error(row.note);
}
