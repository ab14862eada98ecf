/**
 * An in-memory notary-server for the publish wing's unit tests (publish-*.test.ts): it stores what is uploaded, signs
 * the snapshot (unless one is uploaded) and always the timestamp as notary-server does, and refuses a role whose version
 * does not grow with the server's own VERSION error (a lost race). A hand-driven clock stands in for time.
 */
import { fileMeta } from "../../../sdk/src/metadata/hashes.ts";
import { signRole } from "../../../sdk/src/metadata/signed.ts";
import { DAY_MS, formatGoTime } from "../../../sdk/src/metadata/time.ts";
import type { ExpiryPolicy } from "../../../sdk/src/metadata/finalize.ts";
import type { Root, Snapshot, Timestamp } from "../../../sdk/src/metadata/types.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyToJson, sha256Hex } from "../../../sdk/src/crypto/keys.ts";
import { serverError } from "../../../sdk/src/remote/notary-server.ts";
import { initialFiles } from "../../../sdk/src/publish/init.ts";
import { HeldState } from "../../../sdk/src/trust/held-state.ts";
import { Publisher } from "../../../sdk/src/publish/publisher.ts";
import type { Clock } from "../../../sdk/src/publish/clock.ts";
import type { PublishSettings } from "../../../sdk/src/publish/ports.ts";

export const NOW = new Date("2026-03-01T00:00:00Z");
type File = { role: string; bytes: Uint8Array };
const signedOf = (bytes: Uint8Array) => (JSON.parse(new TextDecoder().decode(bytes)) as { signed: { version: number } }).signed;

/** `sleeps`: every wait asked for, in ms. `onSleep` runs at each (e.g. another staging arrives meanwhile). */
export type FakeClock = Clock & { sleeps: number[]; advance(ms: number): void; onSleep?: () => void };

export function fakeClock(start = NOW): FakeClock {
  let t = 0;
  const clock: FakeClock = {
    sleeps: [],
    now: () => new Date(start.getTime() + t),
    ms: () => t,
    advance: (ms) => void (t += ms),
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      t += ms;
      clock.onSleep?.();
    },
  };
  return clock;
}

export class FakeNotary {
  readonly gun: string;
  readonly #clock: Clock;
  readonly #timestampKey = PrivateKey.generate();
  readonly #snapshotKey = PrivateKey.generate();
  readonly #files = new Map<string, Uint8Array>();
  /** The roles of every upload accepted, in order. */
  readonly accepted: string[][] = [];
  /** Uploads refused as lost races. */
  refused = 0;
  /** When set, the timestamp served instead of the current one (a replay). */
  replayTimestamp: Uint8Array | undefined;

  constructor(gun: string, clock: Clock) {
    this.gun = gun;
    this.#clock = clock;
  }

  get serverKeys() {
    return { timestamp: keyToJson(this.#timestampKey.publicKey), snapshot: keyToJson(this.#snapshotKey.publicKey) };
  }

  /** The current timestamp's bytes. */
  get timestamp(): Uint8Array {
    return this.#files.get("timestamp")!;
  }

  fetch = async (name: string): Promise<Uint8Array | undefined> =>
    name === "timestamp" && this.replayTimestamp ? this.replayTimestamp : this.#files.get(name);

  upload = async (files: readonly File[]): Promise<void> => {
    for (const f of files) {
      const held = this.#files.get(f.role);
      if (f.role !== "timestamp" && held && signedOf(held).version >= signedOf(f.bytes).version) {
        this.refused++;
        const body = new TextEncoder().encode(JSON.stringify({ errors: [{ code: "VERSION", message: `${f.role}: newer version exists` }] }));
        throw serverError({ status: 400, headers: {}, body }, `publish ${files.map((x) => x.role).join(", ")}`, this.gun);
      }
    }
    for (const f of files) this.#store(f);
    if (!files.some((f) => f.role === "snapshot")) this.#store({ role: "snapshot", bytes: this.#serverSnapshot(files) });
    this.#store({ role: "timestamp", bytes: this.#serverTimestamp() });
    this.accepted.push(files.map((f) => f.role));
  };

  #store(f: File): void {
    this.#files.set(f.role, f.bytes);
    this.#files.set(`${f.role}.${sha256Hex(f.bytes)}`, f.bytes);
    if (f.role === "root") this.#files.set(`${signedOf(f.bytes).version}.root`, f.bytes);
  }

  #root(): Root {
    return (JSON.parse(new TextDecoder().decode(this.#files.get("root")!)) as { signed: Root }).signed;
  }

  #serverSnapshot(files: readonly File[]): Uint8Array {
    const prev = this.#files.get("snapshot");
    const before = prev ? (JSON.parse(new TextDecoder().decode(prev)) as { signed: Snapshot }).signed : undefined;
    const meta = { ...before?.meta };
    for (const f of files) meta[f.role] = fileMeta(f.bytes);
    const snap: Snapshot = { _type: "Snapshot", expires: formatGoTime(new Date(this.#clock.now().getTime() + 1095 * DAY_MS)), meta, version: (before?.version ?? 0) + 1 };
    return this.#sign(snap, "snapshot", this.#snapshotKey);
  }

  #serverTimestamp(): Uint8Array {
    const prev = this.#files.get("timestamp");
    const ts: Timestamp = {
      _type: "Timestamp",
      expires: formatGoTime(new Date(this.#clock.now().getTime() + 14 * DAY_MS)),
      meta: { snapshot: fileMeta(this.#files.get("snapshot")!) },
      version: (prev ? signedOf(prev).version : 0) + 1,
    };
    return this.#sign(ts, "timestamp", this.#timestampKey);
  }

  #sign(signed: Snapshot | Timestamp, role: "snapshot" | "timestamp", key: PrivateKey): Uint8Array {
    const root = this.#root();
    const r = root.roles[role]!;
    return signRole(signed, { keys: root.keys, keyids: r.keyids, threshold: r.threshold, role }, [key]).bytes;
  }
}

/** A repository created on a fake server (server-held snapshot), with its root and targets keys. */
export async function hostedRepository(clock: FakeClock, expiry: ExpiryPolicy = {}) {
  const gun = "example.com/publish/unit";
  const server = new FakeNotary(gun, clock);
  const rootKey = PrivateKey.generate();
  const targetsKey = PrivateKey.generate();
  const { files, root } = initialFiles({
    gun,
    now: clock.now(),
    expiry,
    rootKey,
    targetsKey,
    snapshotKey: server.serverKeys.snapshot,
    timestampKey: server.serverKeys.timestamp,
  });
  await server.upload(files);
  server.accepted.length = 0;
  return { server, root, targetsKey };
}

/** The publish wing of one process over the fake server: its reads, publisher and counters. */
export function publisherOn(
  server: FakeNotary,
  root: Uint8Array,
  clock: FakeClock,
  opts: { maxAttempts?: number; expiry?: ExpiryPolicy; upload?: (files: readonly File[]) => Promise<void> } = {},
) {
  const counters = { fetches: 0, publishes: 0, conflicts: 0 };
  const settings: PublishSettings = { expiry: opts.expiry ?? {}, maxAttempts: opts.maxAttempts ?? 8 };
  const reads = new HeldState({ gun: server.gun, fetch: server.fetch, now: clock.now, anchor: { trustedRoot: root }, floor: {}, counters });
  const publisher = new Publisher({ gun: server.gun, reads, fetch: server.fetch, upload: opts.upload ?? server.upload, clock, settings, counters });
  return { publisher, reads, counters, settings };
}
