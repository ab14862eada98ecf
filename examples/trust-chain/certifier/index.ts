// The trust chain, step 2 of 3: the certifier. Certifies the publisher's images in its own repository, as the signer
// `qa`, and only while the publisher signs them: every preview and up verifies, from the publisher's pinned root, that
// the signer `ci` signs the same digest for the tag there.
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set gun registry.example.com/certified/app
//   pulumi config set sourceGun registry.example.com/team/app
//   pulumi config set sourceRootKeyId <the publisher's rootKeyId output>
//   crane copy registry.example.com/team/app:v1 registry.example.com/certified/app:v1   # same digest, certified name
//   pulumi config set --path 'images.v1' registry.example.com/certified/app:v1
//   pulumi up
//   pulumi stack output rootKeyId     # hand this to consumers (step 3)
//
// When the publisher revokes or re-points a certified tag, preview and up fail with the reason and nothing changes
// here (set `onViolation` to "revoke" to have `pulumi up` revoke the certification instead).
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const images = config.requireObject<Record<string, string>>("images"); // { "v1": "registry.example.com/certified/app:v1" }
const onViolation = config.get("onViolation") as "refuse" | "revoke" | undefined;

const root = new notary.Key("root");
const targets = new notary.Key("targets");
const qa = new notary.Key("qa");

const repo = new notary.Repository("certified", { gun: config.require("gun"), rootKey: root.privateKeyPem, targetsKey: targets.privateKeyPem });
const signer = new notary.Signer("qa", { repository: repo, name: "qa", keys: [qa.publicKeyPem], targetsKey: targets.privateKeyPem });

const certified = Object.entries(images).map(
  ([tag, image]) =>
    new notary.SignedTag(
      `tag-${tag}`,
      {
        repository: repo,
        tag,
        image, // resolved in the registry: the publisher's digest must be what it holds
        signingKeys: [qa.privateKeyPem],
        // Sign only while the publisher's repository, its root pinned, has `ci` sign this digest for the same tag.
        promotedFrom: {
          gun: config.require("sourceGun"),
          rootKeyId: config.require("sourceRootKeyId"),
          signers: ["ci"],
          ...(onViolation ? { onViolation } : {}),
        },
      },
      { dependsOn: [signer] },
    ),
);

export const rootKeyId = repo.rootKeyId;
export const promotionHolds = pulumi.all(Object.fromEntries(Object.keys(images).map((tag, i) => [tag, certified[i]!.promotionHolds])));
