/** The HTTP client's public shapes and limits (http.ts builds the client). */
import type { Dispatcher } from "undici";

export interface HttpClientOptions {
  /**
   * Certificate authorities to trust, as PEM text or paths of PEM files. When given they replace the system roots
   * (notary's `--tlscacert` / `remote_server.root_ca` semantics).
   */
  ca?: string | string[];
  /** Client certificate for mutual TLS, as PEM text or a file path. Needs `clientKey`. */
  clientCert?: string;
  /** Private key of `clientCert`, as PEM text or a file path. */
  clientKey?: string;
  /** Do not verify the server's certificate (notary `skipTLSVerify`, docker insecure registries). */
  insecureSkipVerify?: boolean;
  /** Budget for one attempt of one request, connect to last body byte, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Maximum concurrent connections per origin. Default 8. */
  connections?: number;
  /**
   * Use this dispatcher instead of building an Agent (tests, proxies). TLS options above are then ignored, the
   * client does not close it, and `connections` counts what its `connect` events report.
   */
  dispatcher?: Dispatcher;
}

export interface HttpRequest {
  method: string;
  url: string;
  /** Header names are sent as given; lookups in responses are by lower-case name. */
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Byte ceiling for the response body. Default 100 MiB (notary's cap for root.json). */
  maxBytes?: number;
  /** When the body streams past `maxBytes`, keep the first `maxBytes` bytes instead of failing (Go notary's LimitReader). */
  truncate?: boolean;
  /** Overrides the client's `timeoutMs` for this request. */
  timeoutMs?: number;
  /** Retries for this request (GET/HEAD only; ignored for other methods). Default 2, at most 2. */
  retries?: number;
  /** Follow 301/302/303/307/308 for GET/HEAD (up to 5 hops, Authorization dropped on a change of origin). Default true. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The URL that produced this response (differs from the request's after a redirect). */
  url: string;
}

export interface HttpStats {
  /** HTTP exchanges sent, counting retries and redirects. */
  requests: number;
  /** Request body bytes sent. */
  bytesSent: number;
  /** Response body bytes received. */
  bytesReceived: number;
  /** New TCP/TLS connections opened. */
  connections: number;
  /** Attempts that were retries. */
  retries: number;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  stats(): HttpStats;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
