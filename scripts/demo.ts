// `npm run demo`: a real `pulumi up` of examples/quickstart against a local notary-server (TLS, on 127.0.0.1), with the
// Pulumi CLI that scripts/setup.sh built from Go modules, a state folder in a temp dir and the passphrase secrets
// provider; then a `pulumi preview --expect-no-changes`, and what the Go `notary` client and `docker trust inspect`
// see. It ends by saying how to point the same program at your own server.
import { createHash, randomBytes } from "node:crypto";
import { hasPulumiCli, PulumiStack, type PulumiResult } from "../test/support/pulumi-cli.ts";
import { dockerCli, hasDocker, makeTempDir, notaryCli, startNotaryServer } from "../test/support/stack.ts";

const say = (s: string) => console.log(`demo: ${s}`);
const show = (r: PulumiResult) => console.log(r.stdout.trimEnd());

if (!hasPulumiCli()) {
  say("the Pulumi CLI is missing from .tools/pulumi/bin: run `bash scripts/setup.sh` (it builds it from Go modules)");
  process.exit(1);
}
const server = await startNotaryServer({ tls: true });
const gun = `${server.host}/demo/app`;
const manifest = randomBytes(512);
const digest = "sha256:" + createHash("sha256").update(manifest).digest("hex");
say(`notary-server running at ${server.url} (pid ${server.pid}); GUN ${gun}`);
let code = 0;
let stack: PulumiStack | undefined;
try {
  stack = await PulumiStack.init({ dir: "examples/quickstart", stack: "demo" });
  say(`stack ${stack.stack}: state in ${stack.home}/state (file backend), secrets encrypted with a passphrase`);
  await stack.setConfig({
    "notary:serverUrl": server.url,
    "notary:caPem": server.caPem!,
    "notary-quickstart:gun": gun,
    "notary-quickstart:digest": digest,
    "notary-quickstart:size": String(manifest.length),
  });
  say("pulumi up --yes");
  show(await stack.up());
  say("pulumi preview --expect-no-changes");
  show(await stack.preview(["--expect-no-changes"]));

  const trustDir = await makeTempDir("demo-trust");
  say(`notary list ${gun}`);
  console.log((await notaryCli(["list", gun], { trustDir, server })).stdout);
  if (hasDocker()) {
    say(`docker trust inspect --pretty ${gun}`);
    const r = await dockerCli(["trust", "inspect", "--pretty", gun], { configDir: await makeTempDir("demo-docker"), server });
    console.log(r.stdout || r.stderr);
  }
  say("the same program against your own notary server:");
  console.log(
    [
      "  cd examples/quickstart && pulumi stack init dev",
      "  pulumi config set notary:serverUrl https://notary.example.com:4443",
      '  pulumi config set notary:caPem -- "$(cat ca.pem)"      # only for a private CA',
      "  pulumi config set --secret notary:password              # token auth: your registry password (reads stdin)",
      "  pulumi config set gun registry.example.com/team/app",
      "  pulumi config set image registry.example.com/team/app:v1",
      "  pulumi up",
    ].join("\n"),
  );
} catch (e) {
  console.error(`demo: failed: ${(e as Error).message}`);
  code = 1;
} finally {
  await stack?.remove();
  await server.stop();
}
process.exit(code);
