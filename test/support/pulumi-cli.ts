/**
 * The real Pulumi CLI, as our users run it: `pulumi` built from Go modules by scripts/pulumi-cli.sh into
 * .tools/pulumi/bin, a local file backend and the passphrase secrets provider in a temporary folder, no Pulumi account,
 * nothing downloaded (no update check, no plugin acquisition). Programs run with the project's Node 22.
 *
 * One `PulumiStack` is one stack of one project directory (an example), run in that directory as a user would. Its
 * name gets a random suffix, so its config file (`Pulumi.<stack>.yaml`, git-ignored) never meets another run's;
 * `remove()` deletes it with the stack. Every engine command writes the engine's event log (`--event-log`, which the
 * CLI offers when PULUMI_DEBUG_COMMANDS is set), which the tests read for steps and diagnostics.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { makeTempDir, runProcess, type RunResult } from "./stack.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
/** Where scripts/pulumi-cli.sh puts `pulumi`, the language host and the dynamic provider plugin. */
export const PULUMI_BIN = path.join(ROOT, ".tools/pulumi/bin");
const NODE_BIN = path.join(ROOT, "node_modules/.bin");
const COMMAND_TIMEOUT_MS = 10 * 60_000;

/** Whether the CLI was built (scripts/setup.sh builds it; `npm test` runs setup first). */
export function hasPulumiCli(): boolean {
  return existsSync(path.join(PULUMI_BIN, "pulumi")) && existsSync(path.join(PULUMI_BIN, "pulumi-language-nodejs"));
}

/** One engine event of `--event-log` (pulumi/pulumi sdk/go/common/apitype/events.go: EngineEvent), as far as read. */
export interface EngineEvent {
  timestamp: number;
  resourcePreEvent?: { metadata: StepMetadata };
  resOutputsEvent?: { metadata: StepMetadata };
  diagnosticEvent?: { urn?: string; prefix?: string; message: string; severity: string };
  summaryEvent?: { resourceChanges: Record<string, number> };
  [other: string]: unknown;
}

export interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: StepState;
  new?: StepState;
  keys?: string[];
}

export interface StepState {
  type: string;
  urn: string;
  custom?: boolean;
  id?: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  retainOnDelete?: boolean;
}

export interface PulumiResult extends RunResult {
  command: string;
  events: EngineEvent[];
  /** With `measureCpu`: user + system CPU of the command and every process it started and waited for. */
  cpuMs?: number;
}

/** A `pulumi` command that did not exit 0; the message carries the command, its exit code and its output. */
export class PulumiCommandError extends Error {
  readonly result: PulumiResult;
  constructor(result: PulumiResult) {
    super(`pulumi ${result.command} exited ${result.code}${result.timedOut ? " (timed out)" : ""}\n${result.stdout}\n${result.stderr}`);
    this.result = result;
  }
}

export interface CommandOptions {
  /** Resolve with the result instead of throwing when the command fails. */
  allowFailure?: boolean;
  /** Run under bash and report the CPU of the whole command tree (bash's `times`) as `cpuMs`. */
  measureCpu?: boolean;
  /** Extra environment for this command. */
  env?: Record<string, string>;
}

export class PulumiStack {
  private commands = 0;
  private backend = "";
  /** The project directory (holds Pulumi.yaml). */
  readonly dir: string;
  readonly stack: string;
  /** Temporary folder: state backend, PULUMI_HOME, event logs. */
  readonly home: string;
  /** The passphrase of the stack's secrets provider (random per stack; not a key). */
  readonly passphrase: string;

  private constructor(dir: string, stack: string, home: string, passphrase: string) {
    this.dir = dir;
    this.stack = stack;
    this.home = home;
    this.passphrase = passphrase;
  }

  /** `pulumi stack init` of a new stack in a new temporary backend (or in `backend`, a folder, to share one). */
  static async init(o: { dir: string; stack: string; backend?: string }): Promise<PulumiStack> {
    const home = await makeTempDir("pulumi");
    const name = `${o.stack}-${randomBytes(3).toString("hex")}`;
    const s = new PulumiStack(path.resolve(ROOT, o.dir), name, home, randomBytes(12).toString("hex"));
    s.backend = o.backend ?? path.join(home, "state");
    await mkdir(s.backend, { recursive: true });
    await s.run(["stack", "init", s.stack, "--secrets-provider", "passphrase"]);
    return s;
  }

  /** The stack's config file, in the project directory. */
  get configFile(): string {
    return path.join(this.dir, `Pulumi.${this.stack}.yaml`);
  }

  /** `pulumi stack rm --force`: the state and the config file go. */
  async remove(): Promise<void> {
    await this.run(["stack", "rm", "--force", "--yes"], { allowFailure: true });
    await rm(this.configFile, { force: true });
  }

  /** The environment every command runs with. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PULUMI_")) env[k] = v;
    return {
      ...env,
      PATH: [PULUMI_BIN, NODE_BIN, process.env["PATH"] ?? ""].join(path.delimiter),
      PULUMI_HOME: path.join(this.home, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: this.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_DEBUG_COMMANDS: "true",
      NO_COLOR: "1",
      ...extra,
    };
  }

  /** Runs `pulumi <args>` in the project directory with the stack selected and its own config file. */
  async run(args: string[], o: CommandOptions & { input?: string } = {}): Promise<PulumiResult> {
    const n = ++this.commands;
    const eventLog = path.join(this.home, `events-${n}.jsonl`);
    const engine = ["up", "preview", "refresh", "destroy", "import"].includes(args[0]!);
    const global = ["--non-interactive", "--color", "never", ...(args[0] === "stack" && args[1] === "init" ? [] : ["--stack", this.stack])];
    const full = [...global, args[0]!, ...(engine ? ["--event-log", eventLog] : []), ...args.slice(1)];
    const bin = path.join(PULUMI_BIN, "pulumi");
    const opts = { cwd: this.dir, env: this.env(o.env), timeoutMs: COMMAND_TIMEOUT_MS, input: o.input };
    const r = o.measureCpu ? await runProcess("bash", ["-c", `"$0" "$@"; rc=$?; times >&2; exit $rc`, bin, ...full], opts) : await runProcess(bin, full, opts);
    const events = engine ? await readEvents(eventLog) : [];
    const result: PulumiResult = { ...r, command: args.join(" "), events, ...(o.measureCpu ? cpuOf(r) : {}) };
    if (r.code !== 0 && !o.allowFailure) throw new PulumiCommandError(result);
    return result;
  }

  /** `pulumi config set` for each entry; `{ secret }` values with `--secret`. */
  async setConfig(values: Record<string, string | { secret: string }>): Promise<void> {
    for (const [k, v] of Object.entries(values)) {
      // Secrets go through stdin, as `cat key.pem | pulumi config set --secret k` does: never on a command line.
      if (typeof v === "object") await this.run(["config", "set", "--secret", k], { input: v.secret });
      else await this.run(["config", "set", "--plaintext", k, "--", v]);
    }
  }

  /** `pulumi config rm`. */
  async removeConfig(key: string): Promise<void> {
    await this.run(["config", "rm", key]);
  }

  up(args: string[] = [], o?: CommandOptions): Promise<PulumiResult> {
    return this.run(["up", "--yes", ...args], o);
  }

  preview(args: string[] = [], o?: CommandOptions): Promise<PulumiResult> {
    return this.run(["preview", ...args], o);
  }

  refresh(args: string[] = [], o?: CommandOptions): Promise<PulumiResult> {
    return this.run(["refresh", "--yes", ...args], o);
  }

  destroy(args: string[] = [], o?: CommandOptions): Promise<PulumiResult> {
    return this.run(["destroy", "--yes", ...args], o);
  }

  /** `pulumi stack export` (with `--show-secrets`: secret values in clear, for assertions only). */
  async exportState(o: { showSecrets?: boolean } = {}): Promise<Deployment> {
    const r = await this.run(["stack", "export", ...(o.showSecrets ? ["--show-secrets"] : [])]);
    return JSON.parse(r.stdout) as Deployment;
  }

  /** The raw text of `pulumi stack export`, as a user would look at it. */
  async exportText(): Promise<string> {
    return (await this.run(["stack", "export"])).stdout;
  }

  /** `pulumi stack output --json --show-secrets`. */
  async outputs(): Promise<Record<string, unknown>> {
    const r = await this.run(["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }
}

/** `pulumi stack export`'s document (apitype.UntypedDeployment with a version 3 deployment). */
export interface Deployment {
  version: number;
  deployment: { resources?: DeployedResource[]; pending_operations?: unknown[]; [k: string]: unknown };
}

export interface DeployedResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  retainOnDelete?: boolean;
  dependencies?: string[];
  [k: string]: unknown;
}

/** Takes bash's `times` (last two stderr lines: shell, then children user and system) off a result. */
function cpuOf(r: RunResult): { stderr: string; cpuMs: number } {
  const lines = r.stderr.trimEnd().split("\n");
  const children = lines.at(-1) ?? "";
  const ms = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60_000 + Number(m[2]) * 1000 : 0;
  };
  const [user = "", system = ""] = children.split(/\s+/);
  return { stderr: lines.slice(0, -2).join("\n"), cpuMs: Math.round(ms(user) + ms(system)) };
}

async function readEvents(file: string): Promise<EngineEvent[]> {
  const lines = existsSync(file) ? (await readFile(file, "utf8")).split("\n") : [];
  // The last line of a killed command may be torn.
  return lines.filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as EngineEvent];
    } catch {
      return [];
    }
  });
}
