// The trust chain, step 1 of 3: the publisher. The team's CI signs the images it pushed, as the signer `ci`, with where
// they came from (source repository and revision) signed into each tag.
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set gun registry.example.com/team/app
//   pulumi config set --path 'images.v1' registry.example.com/team/app:v1
//   pulumi config set source https://github.com/example/app
//   pulumi config set revision "$(git rev-parse HEAD)"
//   pulumi up
//   pulumi stack output rootKeyId     # hand this to the certifier (step 2)
//
// `images` maps tags to image references in the registry: each is resolved to its manifest digest and size, then
// signed. Removing a tag from `images` revokes it (the certifier then refuses to certify it).
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const images = config.requireObject<Record<string, string>>("images"); // { "v1": "registry.example.com/team/app:v1" }
const provenance = { source: config.require("source"), revision: config.require("revision") };

const root = new notary.Key("root");
const targets = new notary.Key("targets");
const ci = new notary.Key("ci");

const repo = new notary.Repository("app", { gun: config.require("gun"), rootKey: root.privateKeyPem, targetsKey: targets.privateKeyPem });
// As `docker trust signer add ci`: the roles targets/releases and targets/ci, holding the ci key.
const signer = new notary.Signer("ci", { repository: repo, name: "ci", keys: [ci.publicKeyPem], targetsKey: targets.privateKeyPem });

const signed = Object.entries(images).map(
  ([tag, image]) =>
    new notary.SignedTag(`tag-${tag}`, { repository: repo, tag, image, provenance, signingKeys: [ci.privateKeyPem] }, { dependsOn: [signer] }),
);

// What the certifier pins: the root `docker trust inspect` shows (or the sha256 of the root.json).
export const rootKeyId = repo.rootKeyId;
export const trustedRootSha256 = repo.trustedRootSha256;
export const digests = pulumi.all(Object.fromEntries(Object.keys(images).map((tag, i) => [tag, signed[i]!.signedDigest])));
