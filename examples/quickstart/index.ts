// Quick start: a signed repository with one CI signer and one signed tag.
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set notary:caPem -- "$(cat ca.pem)"  # only for a server certificate from a private CA
//   pulumi config set gun registry.example.com/team/app
//   pulumi config set digest sha256:<manifest digest>  # and size, or use `image` instead:
//   pulumi config set size 1234                        #   pulumi config set image registry.example.com/team/app:v1
//   pulumi config set tag v1                           # optional (default v1)
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const gun = config.require("gun");

// Keys are generated once and kept (encrypted) in the stack's state as secrets.
const rootKey = new notary.Key("root");
const targetsKey = new notary.Key("targets");
const ciKey = new notary.Key("ci");

const repo = new notary.Repository("app", {
  gun,
  rootKey: rootKey.privateKeyPem,
  targetsKey: targetsKey.privateKeyPem,
});

// The same trust data `docker trust signer add ci <gun>` writes.
const signer = new notary.Signer("ci", {
  repository: repo,
  name: "ci",
  keys: [ciKey.publicKeyPem],
  targetsKey: targetsKey.privateKeyPem,
});

const tag = new notary.SignedTag(
  "v1",
  {
    repository: repo,
    tag: config.get("tag") ?? "v1",
    ...(config.get("image")
      ? { image: config.require("image") }
      : { digest: config.require("digest"), size: config.requireNumber("size") }),
    signingKeys: [ciKey.privateKeyPem],
  },
  { dependsOn: [signer] },
);

export const rootKeyId = repo.rootKeyId;
export const repositoryKeyId = repo.targetsKeyId;
export const signerKeyIds = signer.canonicalKeyIds;
export const signedDigest = tag.signedDigest;
export const expires = repo.expires;
