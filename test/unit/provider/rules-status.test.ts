// Every check and diff rule of the RepositoryStatus, table-driven and offline (rules-support.ts runs the tables).
// renewal.test.ts holds the renewal windows themselves.
import { test } from "node:test";
import { checkStatus } from "../../../provider/src/inputs/status.ts";
import { diffStatus, type StatusOutputs } from "../../../provider/src/runtime/status.ts";
import { checkRows, diffRows, GUN, inDays, newKey, NOW, pem, UNKNOWN, type CheckRow, type DiffRow } from "./rules-support.ts";

const [targets, releases] = [newKey(), newKey()];
const ok = { gun: GUN, trustedRootSha256: "e".repeat(64), keys: [pem(targets)], after: [["urn:tag-v1", 3]] as [string, unknown][], repositoryMark: { root: 1 } };

test("RepositoryStatus check: what the program gives it, typed", () => {
  const rows: CheckRow[] = [
    ["valid", {}, []],
    ["valid with the repository's policy", { expiry: { targetsDays: 90 }, renewBeforeDays: 30, server: { url: "https://n.example.com" } }, []],
    ["GUN missing", { gun: undefined }, [["gun", /^is required: the repository name/]]],
    ["time-out of zero", { server: { timeoutSeconds: 0 } }, [["server.timeoutSeconds", /^must be a number of seconds > 0$/]]],
    ["no pinned root", { trustedRootSha256: undefined }, [["trustedRootSha256", /^must be a string$/]]],
    ["keys not a list", { keys: pem(targets) }, [["keys", /^must be a list of private key PEMs$/]]],
    ["marks not a list", { after: {} }, [["after", /^must be a list of \[urn, mark, claim\]$/]]],
    ["a claim of another kind", { after: [["urn:tag-v1", 3, { kind: "image", name: "v1" }]] }, [["after[0][2].kind", /^Invalid option: expected one of "tag"\|"delegation"\|"signer"$/]]],
    ["with claims", { after: [["urn:tag-v1", 3, { kind: "tag", name: "v1", roles: ["targets/releases"] }]] }, []],
    ["a mark without its URN", { after: [[3, 3]] }, [["after[0][0]", /^must be a string$/]]],
  ];
  checkRows(checkStatus, ok, rows);
});

test("RepositoryStatus check in a preview: unknown values wait", () => {
  checkRows(checkStatus, ok, [
    ["the Repository's outputs", { gun: UNKNOWN, trustedRootSha256: UNKNOWN, server: UNKNOWN, repositoryMark: UNKNOWN }, []],
    ["keys", { keys: [pem(targets), UNKNOWN] }, []],
    ["marks of resources not created yet", { after: [["urn:tag-v1", UNKNOWN]] }, []],
  ]);
});

test("RepositoryStatus diff: a write, a removal, the Repository, its policy, and a renewal due with a key held update", () => {
  const olds: StatusOutputs = {
    ...ok,
    versions: { root: 1, targets: 2, snapshot: 2, timestamp: 2, "targets/releases": 3 },
    expires: { root: inDays(3600), targets: inDays(1000), snapshot: inDays(1000), timestamp: inDays(1), "targets/releases": inDays(1000) },
    keyIds: { root: ["c".repeat(64)], targets: [targets.id], snapshot: ["s".repeat(64)], timestamp: ["t".repeat(64)], "targets/releases": [releases.id] },
    awaitingDeletes: false,
  };
  const dueReleases = { expires: { ...olds.expires, "targets/releases": inDays(30) } };
  const rows: DiffRow[] = [
    ["nothing wrote, nothing due", {}, {}, false],
    ["unknown marks: a write is planned", { after: UNKNOWN }, {}, true],
    ["unknown Repository mark", { repositoryMark: UNKNOWN }, {}, true],
    ["a resource wrote", { after: [["urn:tag-v1", 4]] }, {}, true],
    ["a resource was removed (the status removes what it held)", { after: [] }, {}, true],
    ["a resource was added", { after: [...ok.after, ["urn:tag-v2", 1]] }, {}, true],
    ["a resource's claim changed (protected since)", { after: [["urn:tag-v1", 3, { kind: "tag", name: "v1", keep: "protected" }]] }, {}, true],
    ["deletes of the last command to catch up", {}, { awaitingDeletes: true }, true],
    ["the Repository wrote", { repositoryMark: { root: 2 } }, {}, true],
    ["another pinned root", { trustedRootSha256: "f".repeat(64) }, {}, true],
    ["another expiry policy", { expiry: { targetsDays: 90 } }, {}, true],
    ["another renewal window", { renewBeforeDays: 30 }, {}, true],
    ["a role due whose key is held", { keys: [pem(targets), pem(releases)] }, dueReleases, true],
    ["a role due whose key is not held", {}, dueReleases, false],
    ["the timestamp is the server's to renew", {}, { expires: { ...olds.expires, timestamp: inDays(0) }, keyIds: { ...olds.keyIds, timestamp: [targets.id] } }, false],
  ];
  diffRows((o: StatusOutputs, n: typeof ok) => diffStatus(o, n, {}, NOW), olds, ok, rows);
});
