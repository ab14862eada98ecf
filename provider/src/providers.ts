/**
 * The dynamic ResourceProviders. Pulumi serializes each provider object into the program's state and the engine's
 * dynamic provider host runs that text, so these objects capture nothing: every method loads the implementation by
 * package name (`pulumi-notary/runtime`, resolved from the project's node_modules) and keeps its state on `this`
 * (the resource kind, and the stack configuration `configure` reads).
 */
import type * as pulumi from "@pulumi/pulumi";

type Runtime = typeof import("./runtime/index.ts");
type Kind = keyof Runtime["crud"];
type Config = import("./runtime/common.ts").ProviderConfig;
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

class NotaryProvider implements pulumi.dynamic.ResourceProvider {
  kind: Kind;
  config: Config = {};
  constructor(kind: Kind) {
    this.kind = kind;
  }
  /** The runtime module, loaded once per host process (never set in the program, so never serialized). */
  async rt(): Promise<Runtime> {
    const self = this as unknown as { loaded?: Runtime };
    return (self.loaded ??= await import("pulumi-notary/runtime"));
  }
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const rt = await this.rt();
    this.config = rt.readConfig((k) => req.config.get(k));
  }
  async check(olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    const rt = await this.rt();
    return rt.crud[this.kind].check(this.config, olds, news);
  }
  async diff(id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    const rt = await this.rt();
    return rt.crud[this.kind].diff(this.config, id, olds, news);
  }
  async create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    const rt = await this.rt();
    return rt.crud[this.kind].create(this.config, inputs);
  }
  async read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    const rt = await this.rt();
    const outs = await rt.crud[this.kind].read(this.config, id, props);
    return outs ? { id, props: outs } : {};
  }
  async update(id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    const rt = await this.rt();
    return { outs: await rt.crud[this.kind].update(this.config, id, olds, news) };
  }
  async delete(id: string, props: Any): Promise<void> {
    const rt = await this.rt();
    await rt.crud[this.kind].delete(this.config, id, props);
  }
}

/** One instance per resource type: the SDK caches the serialized text per provider object. */
export const providers = {
  repository: new NotaryProvider("repository"),
  delegation: new NotaryProvider("delegation"),
  signer: new NotaryProvider("signer"),
  signedTag: new NotaryProvider("signedTag"),
  key: new NotaryProvider("key"),
};
