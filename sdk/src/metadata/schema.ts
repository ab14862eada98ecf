/**
 * zod schemas of the wire format. They run only AFTER signatures were checked over the canonical bytes of the raw
 * `signed` value (style: bytes → JSON.parse → canonical → signatures → schema → model), and their output is never
 * what gets signed.
 */
import { z } from "zod";
import { NotaryError } from "../errors.ts";
import type { Root, Snapshot, Targets, Timestamp } from "./types.ts";
import { normalizeGoTime } from "./time.ts";

const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "base64");
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "lowercase hex sha256 key id");
const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const expires = z.string().transform((s, ctx) => {
  try {
    return normalizeGoTime(s);
  } catch {
    ctx.addIssue({ code: "custom", message: "expires must be an RFC 3339 time" });
    return z.NEVER;
  }
});

export const keyJsonSchema = z.object({
  keytype: z.string().min(1),
  keyval: z.object({ private: z.null().optional().transform(() => null), public: base64 }),
});

const roleKeys = z.object({ keyids: z.array(z.string()), threshold: z.number().int() });

export const fileMetaSchema = z.object({
  // Any integral float64 below 2^63, as Go's verifier accepts (notary-server stored length 2^53). Not `.int()`: zod 4
  // limits that to safe integers. Producing such a value is refused by canonical JSON's produce mode instead.
  length: z.number().min(0).lt(2 ** 63).refine(Number.isInteger, "length must be an integer"),
  hashes: z.record(z.string(), base64),
  custom: z.unknown().optional(),
});

export const rootSchema = z.object({
  _type: z.literal("Root"),
  consistent_snapshot: z.boolean().default(false),
  expires,
  keys: z.record(z.string(), keyJsonSchema),
  roles: z.record(z.string(), roleKeys),
  version,
});

const delegationRole = z.object({
  keyids: z.array(z.string()).nullable().transform((v) => v ?? []),
  name: z.string(),
  paths: z.array(z.string()).nullable().optional(),
  threshold: z.number().int(),
});

export const targetsSchema = z.object({
  _type: z.literal("Targets"),
  delegations: z
    .object({
      keys: z.record(z.string(), keyJsonSchema).nullable().transform((v) => v ?? {}),
      roles: z.array(delegationRole).nullable().transform((v) => v ?? []),
    })
    .nullable()
    .optional()
    .transform((v) => v ?? { keys: {}, roles: [] }),
  expires,
  targets: z.record(z.string(), fileMetaSchema).nullable().transform((v) => v ?? {}),
  version,
});

export const snapshotSchema = z.object({
  _type: z.literal("Snapshot"),
  expires,
  meta: z.record(z.string(), fileMetaSchema),
  version,
});

export const timestampSchema = z.object({
  _type: z.literal("Timestamp"),
  expires,
  meta: z.object({ snapshot: fileMetaSchema }),
  version,
});

export const envelopeSchema = z.object({
  signed: z.record(z.string(), z.unknown()),
  signatures: z
    .array(z.object({ keyid: z.string(), method: z.string(), sig: base64 }))
    .nullable()
    .transform((v) => v ?? []),
});

export { hex64 as keyIdSchema };

function parseWith<T>(schema: z.ZodType<T>, value: unknown, role: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue ? issue.path.join(".") || "(top level)" : "?";
  throw new NotaryError(
    "METADATA_MALFORMED",
    `${role} metadata is malformed at ${where}: ${issue?.message ?? "invalid"}`,
    { details: { role, path: where } },
  );
}

function cleanPaths<T extends { paths?: string[] | null | undefined }>(r: T): T {
  const { paths, ...rest } = r;
  // Go's `paths,omitempty`: an empty or null list is omitted on re-serialization.
  return (paths && paths.length > 0 ? { ...rest, paths } : rest) as T;
}

export function parseRoot(value: unknown): Root {
  return parseWith(rootSchema, value, "root") as Root;
}

export function parseTargets(value: unknown, role = "targets"): Targets {
  const t = parseWith(targetsSchema, value, role);
  return { ...t, delegations: { keys: t.delegations.keys, roles: t.delegations.roles.map(cleanPaths) } } as Targets;
}

export function parseSnapshot(value: unknown): Snapshot {
  return parseWith(snapshotSchema, value, "snapshot") as Snapshot;
}

export function parseTimestamp(value: unknown): Timestamp {
  return parseWith(timestampSchema, value, "timestamp") as Timestamp;
}
