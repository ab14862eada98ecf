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
export async function benchStack(dir: string, name: string, url: string, repo: BenchRepo, o: { tags: number; mode?: "noop"; salt?: string }): Promise<PulumiStack> {
  const s = await PulumiStack.init({ dir, stack: name });
  await s.setConfig({
    "notary:serverUrl": url,
    "notary-bench:gun": repo.gun,
    "notary-bench:rootKeyId": repo.rootKeyId,
    "notary-bench:tags": String(o.tags),
    "notary-bench:salt": o.salt ?? "a",
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

/** The CLI's own summary line ("Duration: 12s") and resource counts, for the note. */
export function summaryOf(r: PulumiResult): string {
  const changes = r.events.find((e) => e.summaryEvent)?.summaryEvent?.resourceChanges ?? {};
  const duration = /Duration: (\S+)/.exec(r.stdout)?.[1];
  return `${Object.entries(changes).map(([k, v]) => `${v} ${k}`).join(", ")}${duration ? `; CLI Duration ${duration}` : ""}`;
}
