// The benchmark's Go engine stand-in (bench/engine/main.go): built with Debian's Go and grpc-go sources
// (`scripts/setup.sh bench` installs them), run once per measured `pulumi up`.
import { spawn, execFile } from "node:child_process";
import { mkdir, writeFile, readFile, rm } from "node:fs/promises";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), "engine");

/** Builds the stand-in (GOPATH mode over /usr/share/gocode) and returns the binary's path; reused while main.go is unchanged. */
export async function buildGoEngine(): Promise<string> {
  const source = readFileSync(path.join(SRC, "main.go"));
  const dir = path.join(os.tmpdir(), "pulumi-notary-bench", createHash("sha256").update(source).digest("hex").slice(0, 16));
  const bin = path.join(dir, "engine");
  await mkdir(dir, { recursive: true });
  const env = { ...process.env, GOPATH: "/usr/share/gocode", GO111MODULE: "off", GOFLAGS: "", GOTOOLCHAIN: "local" };
  try {
    await promisify(execFile)("go", ["build", "-o", bin, "."], { cwd: SRC, env });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building the Go engine stand-in failed (run \`bash scripts/setup.sh bench\` first): ${err.stderr || err.message}`);
  }
  return bin;
}

export interface GoEngineRun {
  /** Measured inside the stand-in: first Check sent → last Create answered. */
  wallMs: number;
  lastCheckMs: number;
  firstCreateMs: number;
  /** CPU time (user + system) of the stand-in process, its start and reading its input included. */
  cpuMs: number;
  /** With `states`: reads each resource's id and output properties (after the run, so outside any timing). */
  created?: () => Promise<{ urn: string; id: string; properties: Record<string, unknown> }[]>;
}

/**
 * Runs the stand-in against a provider host: every registration checked one at a time, creates `parallel` at once.
 * Spawned asynchronously: the caller's event loop keeps serving (the benchmark's byte-counting proxy runs on it).
 */
export async function runGoEngine(
  bin: string,
  port: number,
  registrations: { urn: string; news: Record<string, unknown> }[],
  opts: { parallel: number; states?: boolean },
): Promise<GoEngineRun> {
  const dir = path.join(os.tmpdir(), "pulumi-notary-bench");
  const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const input = path.join(dir, `regs-${stamp}.json`);
  const output = path.join(dir, `created-${stamp}.json`);
  await writeFile(input, JSON.stringify(registrations));
  const args = ["-addr", `127.0.0.1:${port}`, "-parallel", String(opts.parallel), "-in", input, ...(opts.states ? ["-out", output] : [])];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  await rm(input, { force: true });
  if (code !== 0) throw new Error(`Go engine stand-in failed (exit ${code}): ${stderr.trim()}`);
  const run = JSON.parse(stdout) as GoEngineRun;
  if (opts.states) {
    run.created = async () => {
      const created = JSON.parse(await readFile(output, "utf8")) as Awaited<ReturnType<NonNullable<GoEngineRun["created"]>>>;
      await rm(output, { force: true });
      return created;
    };
  }
  return run;
}
