/**
 * notary-server's HTTP API (reference §6): metadata URLs, key endpoints, the multipart publish, DELETE, and the
 * translation of the server's error bodies into coded errors that say what to do.
 */
import { randomBytes } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { concatBytes, fromUtf8, utf8 } from "../encoding.ts";
import type { KeyJson } from "../metadata/types.ts";

/** The access a request needs on `repository:<gun>:…` (reference §6 table). */
export type Access = "pull" | "push,pull" | "*";

export type HttpRequest = {
  method: "GET" | "POST" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  maxBytes?: number;
  access: Access;
};
export type HttpResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array };
/** Sends one request (with auth as needed). Implementations: `createTransport` in `transport.ts`. */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

type ServerErrorBody = { errors?: { code?: string; message?: string; detail?: unknown }[] };

function parseErrorBody(body: Uint8Array): { code?: string; message?: string; detail?: unknown } {
  try {
    return (JSON.parse(fromUtf8(body)) as ServerErrorBody).errors?.[0] ?? {};
  } catch {
    return {};
  }
}

/** What the user should do about a validation failure named by the server (`ErrBadRoot`, `ErrBadTargets`, …). */
function adviceFor(name: string | undefined, msg: string): string {
  if (name === "ErrBadHierarchy" && /snapshot/.test(msg)) {
    return "the server does not hold the snapshot key: publish with the snapshot private key, or make the snapshot server-managed";
  }
  if (name === "ErrBadRoot" && /timestamp keys/.test(msg)) return "the root does not list the server's timestamp key; fetch timestamp.key and rotate the timestamp key in root";
  if (name === "ErrBadRoot") return "the new root is not signed by the old and new root keys or its certificate does not match the GUN";
  if (name === "ErrBadTargets") return "a targets file is not signed by a threshold of its role's keys: check the signing keys for that role";
  if (name === "ErrBadSnapshot") return "the snapshot does not match the uploaded files or is not signed by the snapshot key";
  return "check the change and the keys used";
}

/** Turn a non-2xx response into a NotaryError. */
export function serverError(res: HttpResponse, what: string, gun: string): NotaryError {
  const e = parseErrorBody(res.body);
  const details: Record<string, unknown> = { status: res.status, gun, ...(e.code ? { serverCode: e.code } : {}) };
  if (res.status === 401 || res.status === 403) {
    return new NotaryError(
      "HTTP_UNAUTHORIZED",
      `${what}: the notary server refused access (HTTP ${res.status}); give credentials with the rights needed for ${gun}`,
      { details },
    );
  }
  if (res.status === 404) return new NotaryError("HTTP_NOT_FOUND", `${what}: not found on the notary server`, { details });
  const missing = (e.detail as { MissingKeyIDs?: unknown } | undefined)?.MissingKeyIDs;
  if (res.status >= 500 && Array.isArray(missing) && /^GET (timestamp|snapshot)\b/.test(what)) {
    // notary-server re-signs an expired snapshot (and then the timestamp) on GET; without the snapshot key (a
    // client-held snapshot) it fails this way for every reader, notary included.
    const ids = missing.filter((x): x is string => typeof x === "string");
    return new NotaryError(
      "SERVER_CANNOT_SIGN",
      `${what}: notary-server cannot serve ${gun}: it must re-sign an expired snapshot but does not hold its key ` +
        `(missing key ID ${ids.join(", ")}). A client-held snapshot has expired; no client can read this repository until ` +
        `its trust data is created again (delete it and initialize it, with a server-managed snapshot). Renew client-held ` +
        `snapshots before they expire (the Repository resource does, inside renewBeforeDays)`,
      { details: { ...details, missingKeyIds: ids } },
    );
  }
  if (res.status >= 500 || res.status === 408 || res.status === 429) {
    // As the Go client reads it (httpstore.go › translateStatusToError: ErrServerUnavailable): the server, or a proxy
    // in front of it, could not serve the request; nothing about the content was judged.
    const said = e.code ? ` ${e.code}${e.message ? `: ${e.message}` : ""}` : "";
    return new NotaryError(
      "SERVER_UNAVAILABLE",
      `${what}: the notary server is unavailable (HTTP ${res.status}${said}); it did not accept this request. ` +
        `This is temporary on the server's side: run the command again later (it is safe to repeat)`,
      { details: { ...details, retryable: true } },
    );
  }
  if (e.code === "VERSION") {
    return new NotaryError(
      "SERVER_VERSION_CONFLICT",
      `${what}: another publisher changed ${gun} at the same time (server: ${e.message ?? "newer version exists"})`,
      { details },
    );
  }
  if (e.code === "INVALID_UPDATE" && e.detail && typeof e.detail === "object") {
    const d = e.detail as { Name?: string; Error?: unknown };
    const msg = typeof d.Error === "string" ? d.Error : JSON.stringify(d.Error ?? {});
    return new NotaryError(
      "SERVER_REJECTED",
      `${what}: the notary server rejected the update (${d.Name ?? "invalid update"}: ${msg}); ${adviceFor(d.Name, msg)}`,
      { details: { ...details, name: d.Name, serverMessage: msg } },
    );
  }
  if (e.code) {
    return new NotaryError(
      "SERVER_REJECTED",
      `${what}: the notary server answered ${res.status} ${e.code}: ${e.message ?? ""}${e.detail !== undefined ? " " + JSON.stringify(e.detail) : ""}`,
      { details },
    );
  }
  return new NotaryError("HTTP_ERROR", `${what}: the notary server answered HTTP ${res.status}`, { details });
}

/** A thin client for one server and GUN. */
export class NotaryServer {
  readonly baseUrl: string;
  readonly gun: string;
  readonly transport: Transport;

  constructor(serverUrl: string, gun: string, transport: Transport) {
    this.baseUrl = serverUrl.replace(/\/+$/, "");
    this.gun = gun;
    this.transport = transport;
  }

  url(path: string): string {
    return `${this.baseUrl}/v2/${this.gun}/_trust/tuf/${path}`;
  }

  /** GET `<name>.json`; undefined on 404. */
  async getMetadata(name: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const res = await this.transport({ method: "GET", url: this.url(`${name}.json`), maxBytes, access: "pull" });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw serverError(res, `GET ${name}.json`, this.gun);
    return res.body;
  }

  /** GET `<role>.key`: the server-held public key. Before a root exists, each call creates a new key (§6). */
  async getServerKey(role: "timestamp" | "snapshot"): Promise<KeyJson> {
    const res = await this.transport({ method: "GET", url: this.url(`${role}.key`), maxBytes: 1 << 16, access: "push,pull" });
    if (res.status !== 200) throw serverError(res, `GET ${role}.key`, this.gun);
    return parseKeyJson(res.body, role);
  }

  /** POST `<role>.key`: the server makes a new key for a rotation (needs `*` access). */
  async rotateServerKey(role: "timestamp" | "snapshot"): Promise<KeyJson> {
    const res = await this.transport({ method: "POST", url: this.url(`${role}.key`), maxBytes: 1 << 16, access: "*" });
    if (res.status !== 200) throw serverError(res, `POST ${role}.key`, this.gun);
    return parseKeyJson(res.body, role);
  }

  /** One multipart POST with every file (§6.1): the server applies all or nothing. */
  async publish(files: readonly { role: string; bytes: Uint8Array }[]): Promise<void> {
    const boundary = "notary" + randomBytes(12).toString("hex");
    const parts: Uint8Array[] = [];
    for (const f of files) {
      parts.push(
        utf8(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.role}"\r\n` +
            `Content-Type: application/octet-stream\r\n\r\n`,
        ),
        f.bytes,
        utf8("\r\n"),
      );
    }
    parts.push(utf8(`--${boundary}--\r\n`));
    const res = await this.transport({
      method: "POST",
      url: this.url(""),
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: concatBytes(...parts),
      maxBytes: 1 << 20,
      access: "push,pull",
    });
    if (res.status !== 200) throw serverError(res, `publish ${files.map((f) => f.role).join(", ")}`, this.gun);
  }

  /** DELETE all trust data of the GUN (needs `*` access). */
  async deleteAll(): Promise<void> {
    const res = await this.transport({ method: "DELETE", url: this.url(""), maxBytes: 1 << 16, access: "*" });
    if (res.status !== 200 && res.status !== 404) throw serverError(res, "delete trust data", this.gun);
  }
}

function parseKeyJson(body: Uint8Array, role: string): KeyJson {
  try {
    const j = JSON.parse(fromUtf8(body)) as { keytype?: unknown; keyval?: { public?: unknown } };
    if (typeof j.keytype === "string" && typeof j.keyval?.public === "string") {
      return { keytype: j.keytype, keyval: { private: null, public: j.keyval.public } };
    }
  } catch {
    /* fall through */
  }
  throw new NotaryError("METADATA_MALFORMED", `the server's ${role}.key response is not a key object`, { details: { role } });
}
