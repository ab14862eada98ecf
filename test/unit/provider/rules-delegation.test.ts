// Every check and diff rule of the Delegation, table-driven and offline (rules-support.ts runs the tables).
import { test } from "node:test";
import { checkDelegation } from "../../../provider/src/inputs/roles.ts";
import { diffDelegation, type DelegationOutputs } from "../../../provider/src/runtime/delegation.ts";
import { checkRows, diffRows, inDays, newKey, NOW, pem, PIN, pubPem, tufId, UNKNOWN, type CheckRow, type DiffRow } from "./rules-support.ts";

const [targets, a, b, c] = [newKey(), newKey(), newKey(), newKey()];
const ok = { ...PIN, role: "targets/qa", keys: [pubPem(a), pubPem(b)], threshold: 2, paths: ["qa-"], parentKey: pem(targets) };

test("Delegation check: role, keys, threshold, paths, parent and signing keys, repository pin", () => {
  const rows: CheckRow[] = [
    ["valid", {}, []],
    ["valid with signing keys and a renewal window", { signingKeys: [pem(a), pem(b)], renewBeforeDays: 30 }, []],
    ["role outside targets/", { role: "qa" }, [["role", /^"qa" is not a valid role: use "targets\/<name>"/]]],
    ["uppercase role", { role: "targets/QA" }, [["role", /is not a valid role/]]],
    ["role missing", { role: undefined }, [["role", /^undefined is not a valid role/]]],
    ["no keys (and so a threshold above them)", { keys: [] }, [["keys", /^needs at least one public key PEM/], ["threshold", /^is 2 but only 0 key\(s\) are given$/]]],
    ["keys not a list", { keys: pubPem(a), threshold: undefined }, [["keys", /^needs at least one public key PEM/]]],
    ["a key that is not a PEM (still two keys)", { keys: [pubPem(a), "nope"] }, [["keys[1]", /^keys\[1\]: expected a PEM public key or certificate$/]]],
    ["threshold above the keys", { threshold: 3 }, [["threshold", /^is 3 but only 2 key\(s\) are given$/]]],
    ["threshold zero", { threshold: 0 }, [["threshold", /^must be a whole number ≥ 1$/]]],
    ["fractional threshold", { threshold: 1.5 }, [["threshold", /^must be a whole number ≥ 1$/]]],
    ["threshold in text", { threshold: "2" }, [["threshold", /^must be a whole number ≥ 1$/]]],
    ["paths not strings", { paths: [1] }, [["paths", /^must be a list of path prefixes/]]],
    ["a path with a control character", { paths: ["qa\n"] }, [["paths", /^must be a list of path prefixes/]]],
    ["parent key missing", { parentKey: undefined }, [["parentKey", /^needs at least one private key PEM$/]]],
    ["parent key not a PEM", { parentKey: "nope" }, [["parentKey[0]", /^parentKey\[0\]: expected a PEM private key$/]]],
    ["signing keys empty", { signingKeys: [] }, [["signingKeys", /^needs at least one private key PEM$/]]],
    ["a signing key not a PEM", { signingKeys: [pem(a), "nope"] }, [["signingKeys[1]", /^signingKeys\[1\]: expected a PEM private key$/]]],
    ["negative renewal window", { renewBeforeDays: -1 }, [["renewBeforeDays", /^must be a number of days ≥ 0$/]]],
    ["GUN with a space", { gun: "team/with space" }, [["gun", /./]]],
    ["time-out of zero", { server: { timeoutSeconds: 0 } }, [["server.timeoutSeconds", /^must be a number of seconds > 0$/]]],
    ["no repository and no pin", { trustedRootSha256: undefined }, [["repository", /^pass the Repository resource, or gun plus rootKeyId/]]],
    ["pinned by root key ID", { trustedRootSha256: undefined, rootKeyId: "r".repeat(64) }, []],
  ];
  checkRows(checkDelegation, ok, rows);
});

test("Delegation check in a preview: unknown values wait, a list with one waits whole", () => {
  const rows: CheckRow[] = [
    ["role", { role: UNKNOWN }, []],
    ["the keys (the threshold's count waits too)", { keys: UNKNOWN, threshold: 5 }, []],
    ["one key of the list (the others wait with it)", { keys: [UNKNOWN, "nope"] }, []],
    ["threshold", { threshold: UNKNOWN }, []],
    ["paths", { paths: [UNKNOWN] }, []],
    ["parent key", { parentKey: UNKNOWN }, []],
    ["signing keys", { signingKeys: [pem(a), UNKNOWN] }, []],
    ["the pin of a Repository not created yet", { trustedRootSha256: UNKNOWN }, []],
    ["the pin looked for only once nothing is unknown", { trustedRootSha256: undefined, role: UNKNOWN }, []],
  ];
  checkRows(checkDelegation, ok, rows);
});

test("Delegation diff: gun and role replace; keys, threshold, paths, renewal and rotated keys update", () => {
  const olds: DelegationOutputs = { ...ok, keyIds: [tufId(a), tufId(b)], serverKeyIds: [tufId(b), tufId(a)], serverThreshold: 2, serverPaths: ["qa-"], version: 1, expires: inDays(900) };
  const pinned = { trustedRootSha256: undefined, rootKeyId: "r".repeat(64) };
  const rows: DiffRow[] = [
    ["the same (key order aside)", {}, {}, false],
    ["another GUN", { gun: "example.com/team/other" }, {}, true, ["gun"]],
    ["another role", { role: "targets/ops" }, {}, true, ["role"]],
    ["unknown inputs", { keys: UNKNOWN }, {}, true],
    ["a key replaced", { keys: [pubPem(a), pubPem(c)] }, {}, true],
    ["threshold lowered", { threshold: 1 }, {}, true],
    ["paths widened", { paths: [""] }, {}, true],
    ["drift: the server holds another threshold", {}, { serverThreshold: 1 }, true],
    ["parent key rotated", { parentKey: pem(newKey()) }, {}, true],
    ["signing keys, and no file of the role yet: it is created", { signingKeys: [pem(a)] }, { signingKeys: [pem(a)], version: 0 }, true],
    ["signing keys given, the file exists", { signingKeys: [pem(a)] }, { signingKeys: [pem(a)] }, false],
    ["a signing key rotated", { signingKeys: [pem(b)] }, { signingKeys: [pem(a)] }, true],
    ["pinned by key ID: renewed inside the window", { ...pinned, signingKeys: [pem(a)] }, { ...pinned, signingKeys: [pem(a)], expires: inDays(30) }, true],
    ["in a Repository of the stack: its status renews", { signingKeys: [pem(a)] }, { signingKeys: [pem(a)], expires: inDays(30) }, false],
  ];
  diffRows((o: DelegationOutputs, n: typeof ok) => diffDelegation(o, n, {}, NOW), olds, ok, rows);
});
