"use strict";
// The dynamic ResourceProvider (typed in ../providers.ts). CommonJS on purpose: Pulumi serializes a provider into every
// resource's inputs and state and sends it with every engine request, and an object that is the `module.exports` of
// a module inside node_modules is serialized as `require("pulumi-notary/provider/src/providers/<kind>.cjs")`, ~0.3 KB,
// instead of its code (~4 KB). Each method is one line; the work is in the runtime (`pulumi-notary/runtime`, loaded once per
// provider host process, never in the program, so never serialized).
class NotaryProvider {
  constructor(kind) {
    this.kind = kind;
    this.config = {};
  }
  configure(req) {
    return this.go("configure", [req]);
  }
  check(olds, news) {
    return this.go("check", [olds, news]);
  }
  diff(id, olds, news) {
    return this.go("diff", [id, olds, news]);
  }
  create(inputs) {
    return this.go("create", [inputs]);
  }
  read(id, props) {
    return this.go("read", [id, props]);
  }
  update(id, olds, news) {
    return this.go("update", [id, olds, news]);
  }
  delete(id, props) {
    return this.go("delete", [id, props]);
  }
  async go(op, args) {
    return (this.loaded ??= await import("pulumi-notary/runtime")).dispatch(this, op, args);
  }
}
module.exports = { NotaryProvider };
