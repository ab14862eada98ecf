/**
 * What to do about a refusal of notary-server, chosen from what the server said (its validation error's name AND its
 * message), in the SDK's terms. The messages matched below are notary-server 0.7.0's, captured from the real server
 * (test/unit/sdk/hints.test.ts holds them): `server/handlers/validation.go`, `tuf/builder.go`, `trustpinning/certs.go`.
 */

type Hint = { test: (name: string, msg: string) => RegExpExecArray | boolean | null; advice: (m: string[], gun: string) => string };

const HINTS: readonly Hint[] = [
  {
    // "targets expired at Thu Dec 3 19:44:19 UTC 2026", also root, snapshot and delegations. The server checks the
    // expiry of the files in the upload only (a stored parent that expired does not make it refuse a delegation).
    test: (_n, msg) => /^(\S+) expired at (.+)$/.exec(msg),
    advice: ([, role]) =>
      `${role} in this upload had already expired on the server's clock: re-sign it with a fresh expiry (a publish with ` +
      `${role}'s key does; a { type: "witness", role: "${role}" } change re-signs it alone). If it was signed just now, this ` +
      `machine's clock (ServerOptions.now) is behind or RepositoryOptions.expiry gives ${role} too short a lifetime`,
  },
  {
    // "Root modifications must increment the version. Current 1, new 3"
    test: (_n, msg) => /Root modifications must increment the version\. Current (\d+), new (\d+)/.exec(msg),
    advice: ([, cur, next]) =>
      `a new root must be exactly one version above the server's (the server holds root version ${cur}, this upload has ` +
      `${next}): fetch() again so the change applies to the current root, then publish it`,
  },
  {
    // "targets type metadata invalid: version cannot be less than one"
    test: (_n, msg) => /version cannot be less than one/.test(msg),
    advice: () => "a metadata version is 0 or less: versions start at 1 and only grow; publish through Repository.publish, which numbers them",
  },
  {
    // "sha256 checksum for targets did not match: expected …"
    test: (_n, msg) => /(?:sha256|sha512) checksum for (\S+) did not match/.exec(msg),
    advice: ([, role]) =>
      `the snapshot names other bytes for ${role} than the server holds or received: another publisher may have changed ` +
      `${role} since the last fetch, or a file was altered after the snapshot was signed; fetch() and publish again`,
  },
  {
    // "valid signatures did not meet threshold for targets"
    test: (_n, msg) => /did not meet threshold for (\S+)/.exec(msg),
    advice: ([, role]) =>
      `${role} is not signed by enough of the keys the repository gives it (root lists them for targets and snapshot, the ` +
      `parent's delegation for a delegation): pass ${role}'s private key(s) in PublishOptions.keys; if they are right, its ` +
      `keys changed on the server since the last fetch: fetch() and publish again. (Files made by other clients fail this ` +
      `way too when Go re-encodes a value differently: a length above 2^53, custom data with unsorted keys; reference §1.3, §5.6)`,
  },
  {
    // "illegal base64 data at input byte 3"
    test: (_n, msg) => /illegal base64 data/.test(msg),
    advice: () => "a hash or key in the upload is not standard base64: target hashes are the base64 of the raw digest (targetMetaFor computes them)",
  },
  {
    // "json: unsupported value: 1.5" (notary's own client publishing --custom '{"a":1.5}', test/fixtures/go)
    test: (_n, msg) => /json: unsupported value/.test(msg),
    advice: () => "the upload holds a number Go's canonical JSON cannot encode (a non-integer, e.g. in custom): signed metadata holds integers only",
  },
  {
    // "tuf: invalid role targets/nobody. delegation does not exist"
    test: (_n, msg) => /invalid role (\S+?)\.? delegation does not exist/.exec(msg),
    advice: ([, role]) => `${role} is not delegated: add it with a setDelegation change (signed by its parent's key) before publishing to it`,
  },
  {
    // "could not validate the path to a trusted root: unable to retrieve valid leaf certificates"
    test: (_n, msg) => /unable to retrieve valid leaf certificates/.test(msg),
    advice: (_m, gun) =>
      `the root certificate was refused: its CN must be exactly the GUN ("${gun}"), and it must be unexpired, not a CA, not ` +
      `SHA-1 signed (RSA keys ≥ 2048 bits). Check InitializeOptions.rootCertificate, or leave it out to have one made for the GUN`,
  },
  {
    // "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates"
    test: (_n, msg) => /failed to validate data with current trusted certificates/.test(msg),
    advice: () =>
      "the new root is not signed by the server's current root key(s): a root change (rotateKey root, or a root re-sign) " +
      "needs the current root private key in PublishOptions.keys, and the new one too when rotating",
  },
  {
    // "could not validate the path to a trusted root: failed to validate integrity of roots"
    test: (_n, msg) => /failed to validate integrity of roots/.test(msg),
    advice: () => "the root is not signed by a threshold of its own root certificates' keys: pass the root private key that matches the root certificate",
  },
  {
    // "no  timestamp keys exist on the server" (sic)
    test: (name, msg) => name === "ErrBadRoot" && /timestamp keys/.test(msg),
    advice: () => "the root does not list the server's timestamp key; fetch timestamp.key and rotate the timestamp key in root",
  },
  {
    // {"Missing":"snapshot","Msg":"no snapshot was included in update and server does not hold current snapshot key …"}
    test: (name, msg) => name === "ErrBadHierarchy" && /snapshot/.test(msg),
    advice: () => "the server does not hold the snapshot key: publish with the snapshot private key, or make the snapshot server-managed",
  },
  {
    // "no pre-existing root and no root provided in update."
    test: (_n, msg) => /no pre-existing root/.test(msg),
    advice: (_m, gun) => `${gun} is not initialized on this server, or the server URL is wrong: initialize it first (Repository.initialize)`,
  },
  { test: (name) => name === "ErrBadRoot", advice: () => "the root was refused: check that it is signed by the current and (when rotating) the new root keys, and that its certificate names the GUN" },
  { test: (name) => name === "ErrBadTargets", advice: () => "a targets file was refused: check the change and the keys given in PublishOptions.keys" },
  { test: (name) => name === "ErrBadSnapshot", advice: () => "the snapshot was refused: fetch() and publish again, with the snapshot key if the client holds it" },
];

/**
 * What the user should do about a validation failure the server reported: `name` is `ErrBadRoot`, `ErrBadTargets`,
 * `ErrBadSnapshot`, `ErrBadHierarchy` or `ErrValidation`, `msg` the server's message.
 *
 * @example
 * adviceFor("ErrBadTargets", "targets expired at Thu Dec 3 19:44:19 UTC 2026", "example.com/app")
 * // "targets in this upload had already expired on the server's clock: re-sign it …"
 */
export function adviceFor(name: string | undefined, msg: string, gun: string): string {
  for (const h of HINTS) {
    const m = h.test(name ?? "", msg);
    if (m) return h.advice(Array.isArray(m) ? [...m] : [], gun);
  }
  return "check the change and the keys used";
}

/** The message of a serialized validation error: `Error.Msg` (plus `Missing`), else its JSON. */
export function serverMessage(error: unknown): string {
  if (typeof error === "string") return error;
  const e = error as { Msg?: unknown; Missing?: unknown } | undefined;
  if (e && typeof e.Msg === "string") return typeof e.Missing === "string" ? `${e.Msg} (missing: ${e.Missing})` : e.Msg;
  return JSON.stringify(error ?? {});
}

/** Go's net/http answer to plain HTTP on a TLS port: 400, body "Client sent an HTTP request to an HTTPS server.\n". */
export function isPlainHttpToTls(status: number, body: Uint8Array): boolean {
  return status === 400 && new TextDecoder().decode(body.subarray(0, 200)).startsWith("Client sent an HTTP request to an HTTPS server");
}
