/**
 * notary-server's HTTP API (reference §6): metadata URLs, key endpoints, the multipart publish, DELETE, and the
 * translation of the server's error bodies into coded errors that say what to do.
 */
import { randomBytes } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { concatBytes, fromUtf8, utf8 } from "../encoding.ts";
import type { KeyJson } from "../metadata/types.ts";
import { adviceFor, isPlainHttpToTls, serverMessage } from "./server-hints.ts";

/** The access a request needs on `repository:<gun>:…` (reference §6 table). */
export type Access = "pull" | "push,pull" | "*";

export type TransportRequest = {
  method: "GET" | "POST" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  maxBytes?: number;
  access: Access;
};
export type TransportResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array };
/** Sends one request (with auth as needed). Implementations: `createTransport` in `transport.ts`. */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

type ErrorEntry = { code?: string; message?: string; detail?: unknown };
type ServerErrorBody = { errors?: ErrorEntry[] };

function parseErrorBody(body: Uint8Array): ErrorEntry {
  try {
    return (JSON.parse(fromUtf8(body)) as ServerErrorBody).errors?.[0] ?? {};
  } catch {
    return {};
  }
}

/** Turn a non-2xx response into a NotaryError. `serverUrl` (the client's base URL) is named in some messages. */
export function serverError(res: TransportResponse, what: string, gun: string, serverUrl?: string): NotaryError {
  if (isPlainHttpToTls(res.status, res.body)) return schemeMismatch(what, gun, serverUrl);
  const e = parseErrorBody(res.body);
  const details: Record<string, unknown> = { status: res.status, gun, ...(e.code ? { serverCode: e.code } : {}) };
  if (res.status === 401 || res.status === 403) {
    return new NotaryError(
      "HTTP_UNAUTHORIZED",
      `${what}: the notary server refused access (HTTP ${res.status}); give credentials with the rights needed for ${gun}`,
      { details },
    );
  }
  if (res.status === 404 && /\.key$/.test(what)) {
    // Key endpoints exist for every GUN the server serves (a new key is made on first GET, reference §6).
    return new NotaryError(
      "HTTP_NOT_FOUND",
      `${what}: not found on the notary server: it does not serve ${gun} (a server configured with ` +
        `repositories.gun_prefixes answers 404 for other GUNs), or NotaryClient's url is not a notary server's`,
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
  return refusalError(e, res.status, what, gun, details);
}

/** A 4xx the server explained: a version race, a refused update (with advice from its message), or another code. */
function refusalError(e: ErrorEntry, status: number, what: string, gun: string, details: Record<string, unknown>): NotaryError {
  if (e.code === "VERSION") {
    return new NotaryError(
      "SERVER_VERSION_CONFLICT",
      `${what}: another publisher changed ${gun} at the same time (server: ${e.message ?? "newer version exists"})`,
      { details },
    );
  }
  if (e.code === "INVALID_UPDATE" && e.detail && typeof e.detail === "object") {
    const d = e.detail as { Name?: string; Error?: unknown };
    const msg = serverMessage(d.Error);
    return new NotaryError(
      "SERVER_REJECTED",
      `${what}: the notary server rejected the update (${d.Name ?? "invalid update"}: ${msg}); ${adviceFor(d.Name, msg, gun)}`,
      { details: { ...details, name: d.Name, serverMessage: msg } },
    );
  }
  if (e.code === "INVALID_GUN") {
    return new NotaryError(
      "SERVER_REJECTED",
      `${what}: the notary server does not serve ${gun} (INVALID_GUN${typeof e.detail === "string" ? `: ${e.detail}` : ""}): it ` +
        `accepts only GUNs under the prefixes it is configured with (repositories.gun_prefixes); use a GUN under one of them, or another server`,
      { details },
    );
  }
  if (e.code) {
    return new NotaryError(
      "SERVER_REJECTED",
      `${what}: the notary server answered ${status} ${e.code}: ${e.message ?? ""}${e.detail !== undefined ? " " + JSON.stringify(e.detail) : ""}`,
      { details },
    );
  }
  return new NotaryError("HTTP_ERROR", `${what}: the notary server answered HTTP ${status}`, { details });
}

/** Plain HTTP sent to notary-server's TLS port (Go answers 400 "Client sent an HTTP request to an HTTPS server."). */
function schemeMismatch(what: string, gun: string, serverUrl: string | undefined): NotaryError {
  const https = serverUrl?.replace(/^http:/i, "https:");
  return new NotaryError(
    "HTTP_SCHEME_MISMATCH",
    `${what}: the notary server${serverUrl ? ` at ${serverUrl}` : ""} speaks HTTPS on this port but was sent plain HTTP ` +
      `(it answered 400 "Client sent an HTTP request to an HTTPS server"): use ${https ?? "an https:// URL"} as NotaryClient's ` +
      `url (with its CA in tls.ca when the certificate is private)`,
    { details: { status: 400, gun, ...(serverUrl ? { server: serverUrl, suggestedUrl: https } : {}) } },
  );
}

/**
 * Percent-encode one request path segment: everything but RFC 3986 `pchar` (unreserved, sub-delims, ":", "@"), so a
 * GUN or role can never end the path (`?`, `#`) or change it (`%`, `/` stay within the segment). Brackets stay as
 * they are (an IPv6 registry host in a GUN), as Go's url.URL sends them.
 */
function escapeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@[\]]+/g, (run) => [...utf8(run)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""));
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

  /** `<server>/v2/<gun>/_trust/tuf/<path>`, each segment of the GUN and the path escaped (escapeSegment). */
  url(path: string): string {
    const segments = (p: string) => p.split("/").map(escapeSegment).join("/");
    return `${this.baseUrl}/v2/${segments(this.gun)}/_trust/tuf/${segments(path)}`;
  }

  /** GET `<name>.json`; undefined on 404. */
  async getMetadata(name: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const res = await this.transport({ method: "GET", url: this.url(`${name}.json`), maxBytes, access: "pull" });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw serverError(res, `GET ${name}.json`, this.gun, this.baseUrl);
    return res.body;
  }

  /** GET `<role>.key`: the server-held public key. Before a root exists, each call creates a new key (§6). */
  async getServerKey(role: "timestamp" | "snapshot"): Promise<KeyJson> {
    const res = await this.transport({ method: "GET", url: this.url(`${role}.key`), maxBytes: 1 << 16, access: "push,pull" });
    if (res.status !== 200) throw serverError(res, `GET ${role}.key`, this.gun, this.baseUrl);
    return parseKeyJson(res.body, role);
  }

  /** POST `<role>.key`: the server makes a new key for a rotation (needs `*` access). */
  async rotateServerKey(role: "timestamp" | "snapshot"): Promise<KeyJson> {
    const res = await this.transport({ method: "POST", url: this.url(`${role}.key`), maxBytes: 1 << 16, access: "*" });
    if (res.status !== 200) throw serverError(res, `POST ${role}.key`, this.gun, this.baseUrl);
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
    if (res.status !== 200) throw serverError(res, `publish ${files.map((f) => f.role).join(", ")}`, this.gun, this.baseUrl);
  }

  /** DELETE all trust data of the GUN (needs `*` access). */
  async deleteAll(): Promise<void> {
    const res = await this.transport({ method: "DELETE", url: this.url(""), maxBytes: 1 << 16, access: "*" });
    if (res.status !== 200 && res.status !== 404) throw serverError(res, "delete trust data", this.gun, this.baseUrl);
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
