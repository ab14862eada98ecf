// Sign multi-arch images (OCI indexes / Docker manifest lists), which `docker trust sign` cannot.
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set gun registry.example.com/team/app
//   pulumi config set --path 'images.v1' registry.example.com/team/app:v1
//   pulumi config set build ./app    # optional: also build and push an image here with @pulumi/docker
//   pulumi up
//
// `images` maps tags to image references in the registry (built and pushed by buildx in CI, for example); each is
// resolved to its manifest digest and size, hashed and checked, then signed. An image built by @pulumi/docker can be
// passed straight in through its `repoDigest`: set `build` to a build context (this needs a Docker daemon with buildx
// and the docker provider plugin, `pulumi plugin install resource docker`).
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const gun = config.require("gun");
const images = config.requireObject<Record<string, string>>("images"); // { "v1": "registry.example.com/team/app:v1" }
// Set `listsOnly` to refuse anything but manifest lists and OCI indexes (a single platform's manifest signed by mistake).
const listsOnly = config.getBoolean("listsOnly");

const root = new notary.Key("root");
const targets = new notary.Key("targets");
const release = new notary.Key("release");

const repo = new notary.Repository("app", { gun, rootKey: root.privateKeyPem, targetsKey: targets.privateKeyPem });
const signer = new notary.Signer("release", {
  repository: repo,
  name: "release",
  keys: [release.publicKeyPem],
  targetsKey: targets.privateKeyPem,
});

const signed = Object.entries(images).map(
  ([tag, image]) =>
    new notary.SignedTag(
      `tag-${tag}`,
      { repository: repo, tag, image, signingKeys: [release.privateKeyPem], ...(listsOnly !== undefined ? { listsOnly } : {}) },
      { dependsOn: [signer] },
    ),
);

// An image built and pushed by @pulumi/docker, signed by its repoDigest (only when `build` is set).
async function buildAndSign(context: string): Promise<pulumi.Output<string>> {
  const docker = await import("@pulumi/docker");
  const built = new docker.Image("app", { imageName: `${gun}:built`, build: { context, platform: "linux/amd64" } });
  const tag = new notary.SignedTag(
    "tag-built",
    { repository: repo, tag: "built", image: built.repoDigest, signingKeys: [release.privateKeyPem] },
    { dependsOn: [signer] },
  );
  return tag.signedDigest;
}
const build = config.get("build");

export const rootKeyId = repo.rootKeyId;
export const digests = pulumi.all(signed.map((s) => s.signedDigest));
export const mediaTypes = pulumi.all(signed.map((s) => s.mediaType));
export const builtDigest = build ? await buildAndSign(build) : undefined;
