/**
 * `verifiedImage`: a Pulumi program deploys `repo@sha256:…` only when the tag is signed as required. It runs in the
 * program's own process (not the provider host), during `pulumi preview` and `pulumi up` alike: one verified read of
 * the image's trust data from the pinned root, then the SDK's `verifyTag`. When the tag is not signed as required the
 * command fails with the coded reason (VERIFICATION_FAILED: what was required, what each role signs, what to do), and
 * nothing that uses the reference is deployed.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SignaturePolicyArgs } from "./resources/promoted-from.ts";
import type { SignaturePolicy } from "./inputs/promotion.ts";

export interface VerifiedImageArgs extends SignaturePolicyArgs {
  /** `NAME:TAG` as docker takes it, e.g. `registry.example.com/team/app:v1.2.3` (`NAME:TAG@sha256:…` also pins the digest). */
  image: pulumi.Input<string>;
}

type Resolved = SignaturePolicy & { image: string };

/**
 * The image's digest reference (`NAME@sha256:…`), only when its tag is signed as required; otherwise the `pulumi`
 * command fails with the reason. Never secret (a digest is not), even when server credentials are.
 *
 * @example
 * const image = notary.verifiedImage({
 *   image: "registry.example.com/team/app:v1.2.3",
 *   rootKeyId: "5b0216a486d077a69c5e7988b3c4c63ec8ed31279881c2f651660dc1b6796761",
 *   signers: ["alice", "bob"],
 *   threshold: 2,
 * });
 * new k8s.apps.v1.Deployment("app", { spec: { template: { spec: { containers: [{ name: "app", image }] } } } });
 */
export function verifiedImage(args: VerifiedImageArgs): pulumi.Output<string> {
  const config = new pulumi.Config("notary");
  const reference = pulumi.output(args as pulumi.Input<VerifiedImageArgs>).apply((a) => verify(a as unknown as Resolved, (k) => config.get(k)));
  return pulumi.unsecret(reference);
}

async function verify(a: Resolved, get: (key: string) => string | undefined): Promise<string> {
  // Loaded on first use, so a program that never calls this does not load the SDK.
  const [{ verifyImage, isNotaryError, parseImageReference }, { readConfig, serverOptions }, { inPulumiTerms }] = await Promise.all([
    import("../../sdk/src/index.ts"),
    import("./runtime/common.ts"),
    import("./runtime/terms.ts"),
  ]);
  try {
    const gun = parseImageReference(a.image).gun;
    const server = serverOptions(
      readConfig((key) => get(key.slice("notary:".length))),
      a.server as Parameters<typeof serverOptions>[1],
      gun,
    );
    const pins = a.rootKeyId === undefined ? [] : Array.isArray(a.rootKeyId) ? a.rootKeyId : [a.rootKeyId];
    const verified = await verifyImage({
      url: server.url,
      image: a.image,
      anchor: { ...(pins.length ? { rootKeyIds: pins } : {}), ...(a.trustedRootSha256 ? { trustedRootSha256: a.trustedRootSha256 } : {}) },
      policy: {
        ...(a.signers ? { signers: a.signers } : {}),
        ...(a.keyIds ? { keyIds: a.keyIds } : {}),
        ...(a.threshold !== undefined ? { threshold: a.threshold } : {}),
      },
      ...(server.tls ? { tls: server.tls } : {}),
      ...(server.timeoutMs ? { timeoutMs: server.timeoutMs } : {}),
      ...(server.registryHost ? { registryHost: server.registryHost } : {}),
      credentials: { ...(server.username ? { username: server.username } : {}), ...(server.password ? { password: server.password } : {}) },
    });
    return verified.reference;
  } catch (e) {
    // A RunError fails the command with this one message (no stack trace, no program source).
    const text = e instanceof Error ? e.message : String(e);
    const coded = isNotaryError(e) ? `${e.code}: ${inPulumiTerms(text)}` : text;
    throw new pulumi.RunError(`verifiedImage(${a.image}): ${coded}`);
  }
}
