/** The undici Agent of an HTTP client: keep-alive connections, TLS trust (CA, client certificate) and time-outs. */
import { readFileSync } from "node:fs";
import { Agent } from "undici";
import { NotaryError } from "../errors.ts";
import type { HttpClientOptions } from "./http-types.ts";

/** PEM text as given, or the contents of the file it names. */
function readPem(value: string, what: string): string {
  if (value.includes("-----BEGIN")) return value;
  try {
    return readFileSync(value, "utf8");
  } catch (cause) {
    throw new NotaryError("INPUT_INVALID", `cannot read ${what} file ${value}: ${(cause as Error).message}`, { cause });
  }
}

/** TLS options: `ca` replaces the system roots (notary's `--tlscacert`), a client certificate for mutual TLS. */
function connectOptions(opts: HttpClientOptions, timeoutMs: number): Record<string, unknown> {
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
    throw new NotaryError("INPUT_INVALID", "clientCert and clientKey must be given together");
  }
  const connect: Record<string, unknown> = { timeout: timeoutMs };
  if (opts.ca !== undefined) {
    const list = Array.isArray(opts.ca) ? opts.ca : [opts.ca];
    connect["ca"] = list.map((c) => readPem(c, "CA certificate"));
  }
  if (opts.clientCert !== undefined && opts.clientKey !== undefined) {
    connect["cert"] = readPem(opts.clientCert, "client certificate");
    connect["key"] = readPem(opts.clientKey, "client key");
  }
  if (opts.insecureSkipVerify === true) connect["rejectUnauthorized"] = false;
  return connect;
}

/** One Agent per client, so connections are kept alive and reused across requests. */
export function createAgent(opts: HttpClientOptions, timeoutMs: number): Agent {
  return new Agent({
    connections: opts.connections ?? 8,
    connect: connectOptions(opts, timeoutMs),
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
    allowH2: false,
  });
}
