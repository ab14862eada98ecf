// Drift detection in CI: the declared tags, signers and delegations of a repository, checked against the server.
//
//   pulumi preview --refresh --expect-no-changes          # fails when someone changed the trust data out of band
//   pulumi up --refresh                                   # restores the declared state
//
// This stack adopts an existing repository: give it the repository's existing root and targets keys
// (as secrets) and it verifies the server against them.
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set gun registry.example.com/team/app
//   cat root.pem | pulumi config set --secret rootKeyPem  # unencrypted PEM private keys (PKCS#8 or EC)
//   cat targets.pem | pulumi config set --secret targetsKeyPem
//   cat release.pem | pulumi config set --secret releaseKeyPem
//   pulumi config set --path 'tags.v1.digest' sha256:<manifest digest>
//   pulumi config set --path 'tags.v1.size' 1234
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const gun = config.require("gun");
const tags = config.requireObject<Record<string, { digest: string; size: number }>>("tags");

const rootKey = new notary.Key("root", { pem: config.requireSecret("rootKeyPem") });
const targetsKey = new notary.Key("targets", { pem: config.requireSecret("targetsKeyPem") });
const releaseKey = new notary.Key("release", { pem: config.requireSecret("releaseKeyPem") });

const repo = new notary.Repository("app", { gun, rootKey: rootKey.privateKeyPem, targetsKey: targetsKey.privateKeyPem });
// The team's targets/releases delegation predates this stack and holds tags the stack does not manage: keep it when
// the stack is destroyed (destroying the stack revokes only the tags declared below).
const releases = new notary.Delegation(
  "releases",
  { repository: repo, role: "targets/releases", keys: [releaseKey.publicKeyPem], parentKey: targetsKey.privateKeyPem },
  { retainOnDelete: true },
);
for (const [tag, t] of Object.entries(tags)) {
  new notary.SignedTag(
    `tag-${tag}`,
    { repository: repo, tag, digest: t.digest, size: t.size, signingKeys: [releaseKey.privateKeyPem] },
    { dependsOn: [releases] },
  );
}

export const rootKeyId = repo.rootKeyId;
export const targetsVersion = repo.versions.targets;
