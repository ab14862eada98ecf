/**
 * The dynamic ResourceProviders. Pulumi serializes each provider object into the program's state and the engine's
 * dynamic provider host runs that text, so these objects capture nothing: every method loads the implementation by
 * package name (`pulumi-notary/runtime`, resolved from the project's node_modules) and keeps configuration on `this`.
 */
import type * as pulumi from "@pulumi/pulumi";

type Runtime = typeof import("./runtime/index.ts");
type Config = import("./runtime/common.ts").ProviderConfig;
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

class RepositoryProvider implements pulumi.dynamic.ResourceProvider {
  config: Config = {};
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    this.config = rt.readConfig((k) => req.config.get(k));
  }
  async check(_olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { inputs: news, failures: rt.checkRepository(news) };
  }
  async diff(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.diffRepository(olds, news, this.config);
  }
  async create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.createRepository(this.config, inputs);
  }
  async read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    const outs = await rt.readRepository(this.config, props);
    return outs ? { id, props: outs } : {};
  }
  async update(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { outs: await rt.updateRepository(this.config, olds, news) };
  }
  async delete(_id: string, props: Any): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    await rt.deleteRepository(this.config, props);
  }
}

class DelegationProvider implements pulumi.dynamic.ResourceProvider {
  config: Config = {};
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    this.config = rt.readConfig((k) => req.config.get(k));
  }
  async check(_olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { inputs: news, failures: rt.checkDelegation(news) };
  }
  async diff(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.diffDelegation(olds, news, this.config);
  }
  async create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.createDelegation(this.config, inputs);
  }
  async read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    const outs = await rt.readDelegation(this.config, props);
    return outs ? { id, props: outs } : {};
  }
  async update(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { outs: await rt.updateDelegation(this.config, olds, news) };
  }
  async delete(_id: string, props: Any): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    await rt.deleteDelegation(this.config, props);
  }
}

class SignerProvider implements pulumi.dynamic.ResourceProvider {
  config: Config = {};
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    this.config = rt.readConfig((k) => req.config.get(k));
  }
  async check(_olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { inputs: news, failures: rt.checkSigner(news) };
  }
  async diff(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.diffSigner(olds, news);
  }
  async create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.createSigner(this.config, inputs);
  }
  async read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    const outs = await rt.readSigner(this.config, props);
    return outs ? { id, props: outs } : {};
  }
  async update(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { outs: await rt.updateSigner(this.config, olds, news) };
  }
  async delete(_id: string, props: Any): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    await rt.deleteSigner(this.config, props);
  }
}

class SignedTagProvider implements pulumi.dynamic.ResourceProvider {
  config: Config = {};
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    this.config = rt.readConfig((k) => req.config.get(k));
  }
  async check(_olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    const failures = rt.checkSignedTag(news);
    // A check with no old inputs precedes a create: announce the change so it can ride along with other publishes.
    if (failures.length === 0 && (!_olds || Object.keys(_olds).length === 0)) rt.stageSignedTag(this.config, undefined, news);
    return { inputs: news, failures };
  }
  async diff(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    const d = rt.diffSignedTag(olds, news, this.config);
    // An update is planned: announce it (a replacement goes through delete and create instead).
    if (d.changes && !d.replaces?.length) rt.stageSignedTag(this.config, olds, news);
    return d;
  }
  async create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.createSignedTag(this.config, inputs);
  }
  async read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    const outs = await rt.readSignedTag(this.config, props);
    return outs ? { id, props: outs } : {};
  }
  async update(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { outs: await rt.updateSignedTag(this.config, olds, news) };
  }
  async delete(_id: string, props: Any): Promise<void> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    await rt.deleteSignedTag(this.config, props);
  }
}

class KeyProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return { inputs: news, failures: rt.checkKey(news) };
  }
  async diff(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.diffKey(olds, news);
  }
  async create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    const rt: Runtime = await import("pulumi-notary/runtime");
    return rt.createKey(inputs);
  }
  async read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
  }
  async update(_id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: { ...olds, ...news } };
  }
  async delete(): Promise<void> {}
}

/** One instance per resource type: the SDK caches the serialized text per provider object. */
export const providers = {
  repository: new RepositoryProvider(),
  delegation: new DelegationProvider(),
  signer: new SignerProvider(),
  signedTag: new SignedTagProvider(),
  key: new KeyProvider(),
};
