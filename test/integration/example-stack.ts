/**
 * One stack of an example (`pulumi stack init`), with the config it was last given and its state after the last
 * command (`pulumi stack export --show-secrets`, secrets as wire secrets). Used by example-helpers.ts.
 */
import { PulumiStack, type CommandOptions } from "../support/pulumi-cli.ts";
import { fromExport, type PropertyMap } from "../support/wire.ts";
import { isProvider, nameOf } from "./example-run.ts";

// ---------------------------------------------------------------------------------------------------------------------
// One stack of an example, with the config it was last given

/** A state entry (from `pulumi stack export --show-secrets`, secrets as wire secrets). */
export interface StackEntry {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  inputs: PropertyMap;
  outputs: PropertyMap;
  options: { retainOnDelete: boolean };
}

export class ExampleStack {
  private applied = new Map<string, string>();
  /** The state after the last command. */
  resources = new Map<string, StackEntry>();

  readonly pulumi: PulumiStack;

  constructor(pulumi: PulumiStack) {
    this.pulumi = pulumi;
  }

  get name(): string {
    return this.pulumi.stack;
  }

  /** Custom resources in the state (the root stack and providers left out). */
  get size(): number {
    return this.resources.size;
  }

  /** `pulumi config set` / `config rm` for what changed since the last command. */
  async applyConfig(config: Record<string, ConfigValue>): Promise<void> {
    for (const [k, v] of Object.entries(config)) {
      const text = JSON.stringify(v);
      if (this.applied.get(k) === text) continue;
      await this.pulumi.setConfig({ [k]: v });
      this.applied.set(k, text);
    }
    for (const k of [...this.applied.keys()]) {
      if (!(k in config)) {
        await this.pulumi.removeConfig(k);
        this.applied.delete(k);
      }
    }
  }

  async reload(): Promise<void> {
    const d = await this.pulumi.exportState({ showSecrets: true });
    this.resources = new Map();
    for (const r of d.deployment.resources ?? []) {
      if (isProvider(r.type) || r.type === "pulumi:pulumi:Stack") continue;
      this.resources.set(r.urn, {
        urn: r.urn,
        type: r.type,
        name: nameOf(r.urn),
        custom: r.custom !== false,
        inputs: fromExport(r.inputs ?? {}) as PropertyMap,
        outputs: fromExport(r.outputs ?? {}) as PropertyMap,
        options: { retainOnDelete: r.retainOnDelete === true },
      });
    }
  }
}

export type ConfigValue = string | { secret: string };

export interface RunOptions extends CommandOptions {
  /** Config for this command only (default: the env's current config). */
  config?: Record<string, ConfigValue>;
  /** Another stack of the same project (default: the env's main stack). */
  stack?: ExampleStack;
  /** Extra CLI arguments. */
  args?: string[];
}
