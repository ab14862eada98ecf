/**
 * The WWW-Authenticate parser (remote/www-authenticate.ts) on published and captured headers.
 *
 * Provenance: RFC 7235 §4.1, RFC 7617 §2 and §2.1, RFC 6750 §3; distribution's `registry/client/auth/challenge`
 * test vector (TestAuthChallengeParse); the headers distribution's token access controller and htpasswd controller
 * build (`Bearer realm=%q,service=%q[,scope=%q][,error=%q]`, `Basic realm=%q`), which notary-server sends when token
 * auth is on, and Docker Hub's answer to an anonymous pull.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseWwwAuthenticate, pickChallenge, type Challenge } from "../../../sdk/src/remote/www-authenticate.ts";

const bearer = (params: Record<string, string>): Challenge => ({ scheme: "bearer", params });

const VECTORS: Array<[what: string, header: string, want: Challenge[]]> = [
  [
    "RFC 7235 §4.1: two challenges, one with a quoted-pair in a value",
    'Newauth realm="apps", type=1,\n                  title="Login to \\"apps\\"", Basic realm="simple"'.replace("\n", ""),
    [
      { scheme: "newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
      { scheme: "basic", params: { realm: "simple" } },
    ],
  ],
  ["RFC 7617 §2: Basic", 'Basic realm="WallyWorld"', [{ scheme: "basic", params: { realm: "WallyWorld" } }]],
  [
    "RFC 7617 §2.1: Basic with charset",
    'Basic realm="foo", charset="UTF-8"',
    [{ scheme: "basic", params: { realm: "foo", charset: "UTF-8" } }],
  ],
  [
    "RFC 6750 §3: Bearer with an error",
    'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
    [bearer({ realm: "example", error: "invalid_token", error_description: "The access token expired" })],
  ],
  [
    "distribution's challenge test: unquoted value and backslashes before ordinary characters",
    'Bearer realm="https://auth.example.com/token",service="registry.example.com",other=fun,slashed="he\\"\\l\\lo"',
    [bearer({ realm: "https://auth.example.com/token", service: "registry.example.com", other: "fun", slashed: 'he"llo' })],
  ],
  [
    "notary-server with token auth (distribution's token access controller)",
    'Bearer realm="https://auth.docker.io/token",service="notary.docker.io",scope="repository:docker.io/library/alpine:pull"',
    [bearer({ realm: "https://auth.docker.io/token", service: "notary.docker.io", scope: "repository:docker.io/library/alpine:pull" })],
  ],
  [
    "a rejected token: error appended, scopes of several resources joined by a space",
    'Bearer realm="http://127.0.0.1:5001/auth",service="notary-server",scope="repository:a/b:pull,push repository:a/c:pull",error="insufficient_scope"',
    [
      bearer({
        realm: "http://127.0.0.1:5001/auth",
        service: "notary-server",
        scope: "repository:a/b:pull,push repository:a/c:pull",
        error: "insufficient_scope",
      }),
    ],
  ],
  [
    "Docker Hub, anonymous pull",
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    [bearer({ realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull" })],
  ],
  ["htpasswd access controller", 'Basic realm="notary-server"', [{ scheme: "basic", params: { realm: "notary-server" } }]],
  [
    "several challenges in one header, schemes in any case, spaces around = and commas",
    'BASIC realm = "r1" ,  bearer realm=http://t/token, service = s , Digest nonce="n", qop="auth"',
    [
      { scheme: "basic", params: { realm: "r1" } },
      bearer({ realm: "http://t/token", service: "s" }),
      { scheme: "digest", params: { nonce: "n", qop: "auth" } },
    ],
  ],
  [
    "parameter names are lower-cased, values keep their case; a repeated name keeps the last value",
    'Bearer Realm="A", SERVICE="B", realm="C"',
    [bearer({ realm: "C", service: "B" })],
  ],
  [
    "quoted values keep commas, spaces, = and an escaped backslash",
    'Bearer realm="a, b = c", scope="x\\\\y"',
    [bearer({ realm: "a, b = c", scope: "x\\y" })],
  ],
  ["a scheme alone", "Basic", [{ scheme: "basic", params: {} }]],
  ["an empty quoted value", 'Bearer realm=""', [bearer({ realm: "" })]],
];

test("parseWwwAuthenticate: RFC, distribution and notary-server headers", () => {
  for (const [what, header, want] of VECTORS) assert.deepEqual(parseWwwAuthenticate(header), want, what);
});

// Malformed headers never throw; they yield what can be read, and nothing that looks like a usable Bearer realm
// unless the header said so.
const MALFORMED: Array<[what: string, header: string, want: Challenge[]]> = [
  ["empty", "", []],
  ["only separators", " , ,\t, ", []],
  ["an unterminated quoted value runs to the end", 'Bearer realm="https://t/token, service="s', [bearer({ realm: "https://t/token, service=" }), { scheme: "s", params: {} }]],
  ["a trailing backslash in a quoted value is kept", 'Bearer realm="a\\', [bearer({ realm: "a\\" })]],
  ["a parameter before any scheme is read as schemes, not as a parameter", "realm=x", [{ scheme: "realm", params: {} }, { scheme: "x", params: {} }]],
  ["characters outside the token set are skipped", 'Bearer @ realm="r"', [bearer({ realm: "r" })]],
  ["token68 (not used by registries) is not a parameter list", "Negotiate abc==", [{ scheme: "negotiate", params: { abc: "=" } }]],
  ["a value missing after =", "Bearer realm=, service=s", [bearer({ realm: "", service: "s" })]],
];

test("parseWwwAuthenticate: malformed headers", () => {
  for (const [what, header, want] of MALFORMED) assert.deepEqual(parseWwwAuthenticate(header), want, what);
});

test("parseWwwAuthenticate: is pure (same input, equal and independent output)", () => {
  const header = 'Bearer realm="r",service="s"';
  const a = parseWwwAuthenticate(header);
  a[0]!.params["realm"] = "changed";
  assert.deepEqual(parseWwwAuthenticate(header), [bearer({ realm: "r", service: "s" })]);
});

test("pickChallenge: the first Bearer with a realm, else the first Basic, else none", () => {
  assert.deepEqual(pickChallenge('Basic realm="b", Bearer service=s, Bearer realm="r1", Bearer realm="r2"'), bearer({ realm: "r1" }));
  assert.deepEqual(pickChallenge('Bearer service=s, Basic realm="b"'), { scheme: "basic", params: { realm: "b" } });
  assert.equal(pickChallenge('Digest nonce="n", Bearer realm=""'), undefined);
  assert.equal(pickChallenge(undefined), undefined);
});
