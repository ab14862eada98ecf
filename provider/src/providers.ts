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
type Op = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

class NotaryProvider implements pulumi.dynamic.ResourceProvider {
  kind: Kind;
  config: Config = {};
  constructor(kind: Kind) {
    this.kind = kind;
  }
  // Every method is one line: this text is serialized into each resource's inputs and state, and sent with every
  // engine request, so it is kept small; the work is in the runtime's `dispatch`.
  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    return this.go("configure", [req]);
  }
  check(olds: Any, news: Any): Promise<pulumi.dynamic.CheckResult> {
    return this.go("check", [olds, news]);
  }
  diff(id: string, olds: Any, news: Any): Promise<pulumi.dynamic.DiffResult> {
    return this.go("diff", [id, olds, news]);
  }
  create(inputs: Any): Promise<pulumi.dynamic.CreateResult> {
    return this.go("create", [inputs]);
  }
  read(id: string, props?: Any): Promise<pulumi.dynamic.ReadResult> {
    return this.go("read", [id, props]);
  }
  update(id: string, olds: Any, news: Any): Promise<pulumi.dynamic.UpdateResult> {
    return this.go("update", [id, olds, news]);
  }
  delete(id: string, props: Any): Promise<void> {
    return this.go("delete", [id, props]);
  }
  /** Load the runtime once per host process (never in the program, so it is never serialized) and run `op`. */
  async go(op: Op, args: unknown[]): Promise<Any> {
    const self = this as unknown as { loaded?: Runtime };
    return (self.loaded ??= await import("pulumi-notary/runtime")).dispatch(this, op, args);
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
