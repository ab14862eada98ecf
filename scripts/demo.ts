// `npm run demo`: start a local notary-server (TLS, on 127.0.0.1) and run examples/quickstart against it.
// With the Pulumi CLI installed this is a real `pulumi up` (local file backend in a temp dir); without it, the same
// program runs through @pulumi/pulumi's own dynamic provider host (the harness the tests use), and the demo says so.
// Either way the result is checked with the Go `notary` client and `docker trust inspect`.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { startNotaryServer, makeTempDir, notaryCli, dockerCli, hasDocker } from "../test/support/stack.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (s: string) => console.log(`demo: ${s}`);

function hasPulumi(): boolean {
  return spawnSync("pulumi", ["version"], { stdio: "ignore" }).status === 0;
}

const server = await startNotaryServer({ tls: true });
const gun = `${server.host}/demo/app`;
const manifest = randomBytes(512);
const digest = "sha256:" + createHash("sha256").update(manifest).digest("hex");
const config = {
  "notary:serverUrl": server.url,
  "notary:caPem": server.caPem!,
  "notary-quickstart:gun": gun,
  "notary-quickstart:digest": digest,
  "notary-quickstart:size": String(manifest.length),
};
say(`notary-server running at ${server.url} (pid ${server.pid}); GUN ${gun}`);
let code = 0;
try {
  if (hasPulumi()) {
    const home = await makeTempDir("pulumi-home");
    const env = { ...process.env, PULUMI_BACKEND_URL: `file://${home}`, PULUMI_CONFIG_PASSPHRASE: "demo", PULUMI_SKIP_UPDATE_CHECK: "1" };
    const cwd = path.join(ROOT, "examples/quickstart");
    const run = (args: string[], input?: string) => {
      say(`pulumi ${args.join(" ")}`);
      const r = spawnSync("pulumi", args, { cwd, env, stdio: input === undefined ? "inherit" : ["pipe", "inherit", "inherit"], input });
      if (r.status !== 0) throw new Error(`pulumi ${args[0]} failed`);
    };
    run(["stack", "init", "demo", "--non-interactive"]);
    for (const [k, v] of Object.entries(config)) {
      if (k === "notary:caPem") {
        const f = path.join(home, "ca.pem");
        await writeFile(f, v);
        run(["config", "set", k, "--", v]);
      } else run(["config", "set", k, "--", v]);
    }
    run(["up", "--yes", "--skip-preview"]);
    run(["up", "--yes", "--expect-no-changes"]);
  } else {
    say("the Pulumi CLI is not installed here: running examples/quickstart through @pulumi/pulumi's dynamic provider");
    say("host harness instead (the same program and providers, driven over gRPC as `pulumi up` would; no Pulumi state file)");
    const { startProviderHost } = await import("../test/support/dynhost.ts");
    const { runProgram, Stack } = await import("../test/support/mock-forward.ts");
    const stack = new Stack("notary-quickstart", "demo");
    for (const step of ["up", "up again (expect no changes)"]) {
      const host = await startProviderHost({ cwd: ROOT, project: "notary-quickstart", config });
      try {
        const r = await runProgram(path.join(ROOT, "examples/quickstart/index.ts"), { host, stack });
        say(`${step}: ${r.resources.filter((x) => x.custom).map((x) => `${x.name}=${x.op}`).join(", ")}`);
        if (step === "up") say(`outputs: rootKeyId=${String(r.outputs["rootKeyId"])} signedDigest=${String(r.outputs["signedDigest"])}`);
      } finally {
        await host.stop();
      }
    }
  }
  const trustDir = await makeTempDir("demo-trust");
  say(`notary list ${gun}`);
  console.log((await notaryCli(["list", gun], { trustDir, server })).stdout);
  if (hasDocker()) {
    say(`docker trust inspect --pretty ${gun}`);
    const r = await dockerCli(["trust", "inspect", "--pretty", gun], { configDir: await makeTempDir("demo-docker"), server });
    console.log(r.stdout || r.stderr);
  }
} catch (e) {
  console.error(`demo: failed: ${(e as Error).message}`);
  code = 1;
} finally {
  await server.stop();
}
process.exit(code);
