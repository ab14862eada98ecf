// The benchmark's program: `tags` SignedTags <prefix>0..<prefix>(n-1) in a repository pinned by GUN and root key ID (set up by the
// benchmark beforehand), each signed with the release key. With `mode: noop`, the same inputs go to a dynamic resource
// that does nothing: the floor the engine and the provider host set.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const n = config.requireNumber("tags");
const gun = config.require("gun");
const rootKeyId = config.require("rootKeyId");
const salt = config.get("salt") ?? "a";
const prefix = config.get("prefix") ?? "t";
const releaseKey = config.requireSecret("releaseKeyPem");
const digestOf = (i: number) => createHash("sha256").update(`${salt}-${i}`).digest("hex");

const noop: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: String(inputs.tag), outs: { ...inputs, signedRole: "targets/releases", signedDigest: inputs.digest, signedSize: inputs.size } };
  },
};
class NoopTag extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, pulumi.Input<unknown>>) {
    super(noop, name, args, undefined, "Noop");
  }
}

for (let i = 0; i < n; i++) {
  const args = { gun, rootKeyId, tag: `${prefix}${i}`, digest: `sha256:${digestOf(i)}`, size: 1000 + i, signingKeys: [releaseKey] };
  if (config.get("mode") === "noop") new NoopTag(`${prefix}${i}`, args);
  else new notary.SignedTag(`${prefix}${i}`, args);
}
export const count = n;
