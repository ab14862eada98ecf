// Key rotation by configuration: switch `targetsKey` (or `rootKey`) to another key and `pulumi up` rotates it
// (a new root is signed by both the old and the new root key, so clients that cached the old root follow it).
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set gun registry.example.com/team/app
//   pulumi up                          # root-2026 and targets-2026 (the defaults)
//   pulumi config set activeTargetsKey targets-2027 && pulumi up
//   pulumi config set activeRootKey root-2027 && pulumi up
//   pulumi config set targetsDays 180  # optional: lifetime of targets.json in days (default 365;
//                                      #   keep it above renewBeforeDays, 90, or every up re-signs)
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const gun = config.require("gun");

const keys = Object.fromEntries(
  ["root-2026", "root-2027", "targets-2026", "targets-2027"].map((name) => [name, new notary.Key(name)]),
);
const pick = (name: string): notary.Key => {
  const k = keys[name];
  if (!k) throw new Error(`unknown key ${name}: use one of ${Object.keys(keys).join(", ")}`);
  return k;
};

const repo = new notary.Repository("app", {
  gun,
  rootKey: pick(config.get("activeRootKey") ?? "root-2026").privateKeyPem,
  targetsKey: pick(config.get("activeTargetsKey") ?? "targets-2026").privateKeyPem,
  expiry: { targetsDays: config.getNumber("targetsDays") ?? 365 },
  renewBeforeDays: 90,
});

export const rootKeyId = repo.rootKeyId;
export const targetsKeyId = repo.targetsKeyId;
export const versions = repo.versions;
