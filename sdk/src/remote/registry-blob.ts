/**
 * One blob from an OCI / Docker v2 registry (`GET /v2/<repo>/blobs/<digest>`), checked against its digest: an image's
 * config, where its labels live. The connection is set up as registry.ts › resolveImage sets it up (same options).
 */
import { createHash } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { DEFAULT_MAX_MANIFEST_BYTES, registryAccess, type ResolveImageOptions } from "./registry.ts";
import { parseImageReference } from "./registry-ref.ts";

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

/**
 * The bytes of blob `digest` (sha256 only) in the repository of `image` (any reference to it: `host/repo[:tag]`).
 * Refused with `REGISTRY_DIGEST_MISMATCH` unless they hash to `digest`, and with `HTTP_NOT_FOUND` when absent.
 * `maxBytes` defaults to 4 MiB (an image config is a few KiB).
 *
 * @example
 * const config = JSON.parse(Buffer.from(await fetchBlob("127.0.0.1:5000/team/app", manifest.config.digest)).toString())
 */
export async function fetchBlob(image: string, digest: string, opts: ResolveImageOptions & { maxBytes?: number } = {}): Promise<Uint8Array> {
  if (!SHA256_RE.test(digest)) throw new NotaryError("INPUT_INVALID", `blob digest ${JSON.stringify(digest.slice(0, 80))} is not sha256:<64 hex>`);
  const ref = parseImageReference(image);
  const { base, http, auth } = registryAccess(ref, opts);
  const where = `blob ${digest} of ${ref.name}`;
  try {
    const url = `${base}/v2/${ref.repository}/blobs/${digest}`;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    const res = await auth.request(http, { method: "GET", url, maxBytes }, { scope: { repository: ref.repository, actions: "pull" } });
    if (res.status === 404) {
      throw new NotaryError("HTTP_NOT_FOUND", `${where} was not found in registry ${ref.registry}`, { details: { status: 404, registry: ref.registry } });
    }
    if (res.status !== 200) {
      throw new NotaryError("REGISTRY_ERROR", `registry ${ref.registry} answered HTTP ${res.status} for ${where}`, { details: { status: res.status, registry: ref.registry } });
    }
    const actual = `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
    if (actual !== digest) {
      throw new NotaryError("REGISTRY_DIGEST_MISMATCH", `the registry returned bytes hashing to ${actual} for ${where}`, { details: { expected: digest, actual } });
    }
    return res.body;
  } finally {
    if (opts.http === undefined) await http.close();
  }
}
