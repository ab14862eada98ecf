// Every check and diff rule of the Repository, table-driven and offline (rules-support.ts runs the tables).
import { test } from "node:test";
import { checkRepository } from "../../../provider/src/inputs/repository.ts";
import { diffRepository, type RepositoryOutputs } from "../../../provider/src/runtime/repository.ts";
import { checkRows, diffRows, ed25519Pem, GUN, newKey, pem, UNKNOWN, type CheckRow, type DiffRow } from "./rules-support.ts";

const [root, targets, snapshot] = [newKey(), newKey(), newKey()];
const ok = { gun: GUN, rootKey: pem(root), targetsKey: pem(targets) };

test("Repository check: each rule names its property and says why", () => {
  const rows: CheckRow[] = [
    ["valid", {}, []],
    ["valid with every optional input", { snapshotKey: pem(snapshot), expiry: { rootDays: 3650, delegationDays: 90 }, renewBeforeDays: 0, deleteOnDestroy: true, server: { url: "https://n.example.com", timeoutSeconds: 2.5, insecureSkipVerify: false } }, []],
    ["GUN missing", { gun: undefined }, [["gun", /^is required: the repository name, e\.g\. registry\.example\.com\/team\/app$/]]],
    ["GUN with a tag", { gun: "example.com/team/app:v1" }, [["gun", /./]]],
    ["uppercase GUN", { gun: "example.com/Team/App" }, [["gun", /./]]],
    ["root key missing", { rootKey: undefined }, [["rootKey", /^rootKey is required: a PEM private key$/]]],
    ["root key not a PEM", { rootKey: "nope" }, [["rootKey", /^rootKey: expected a PEM private key$/]]],
    ["root key not ECDSA", { rootKey: ed25519Pem() }, [["rootKey", /^the root key must be an ECDSA P-256 key/]]],
    ["targets key missing", { targetsKey: undefined }, [["targetsKey", /^targetsKey is required: a PEM private key$/]]],
    ["targets key of another type", { targetsKey: 5 }, [["targetsKey", /^targetsKey: expected a PEM private key$/]]],
    ["snapshot key not a PEM", { snapshotKey: "nope" }, [["snapshotKey", /^snapshotKey: expected a PEM private key$/]]],
    ["expiry of zero days", { expiry: { targetsDays: 0 } }, [["expiry.targetsDays", /^must be a positive whole number of days$/]]],
    ["fractional expiry", { expiry: { rootDays: 1.5 } }, [["expiry.rootDays", /^must be a positive whole number of days$/]]],
    ["expiry in text", { expiry: { snapshotDays: "30" } }, [["expiry.snapshotDays", /^must be a positive whole number of days$/]]],
    ["expiry not an object", { expiry: 30 }, [["expiry", /^must be an object \{ rootDays\?/]]],
    ["negative renewal window", { renewBeforeDays: -1 }, [["renewBeforeDays", /^must be a number of days ≥ 0$/]]],
    ["renewal window in text", { renewBeforeDays: "30" }, [["renewBeforeDays", /^must be a number of days ≥ 0$/]]],
    ["deleteOnDestroy in text", { deleteOnDestroy: "yes" }, [["deleteOnDestroy", /^must be true or false$/]]],
    ["time-out of zero", { server: { timeoutSeconds: 0 } }, [["server.timeoutSeconds", /^must be a number of seconds > 0$/]]],
    ["time-out in text", { server: { timeoutSeconds: "30" } }, [["server.timeoutSeconds", /^must be a number of seconds > 0$/]]],
    ["server URL not text", { server: { url: 443 } }, [["server.url", /^must be a string$/]]],
    ["insecureSkipVerify in text", { server: { insecureSkipVerify: "true" } }, [["server.insecureSkipVerify", /^must be true or false$/]]],
    ["server not an object", { server: "https://n.example.com" }, [["server", /^must be an object \{ url\?/]]],
  ];
  checkRows(checkRepository, ok, rows);
});

test("Repository check in a preview: every input may be unknown", () => {
  const rows: CheckRow[] = [
    ["GUN", { gun: UNKNOWN }, []],
    ["keys", { rootKey: UNKNOWN, targetsKey: UNKNOWN, snapshotKey: UNKNOWN }, []],
    ["expiry", { expiry: UNKNOWN }, []],
    ["an expiry field", { expiry: { rootDays: UNKNOWN } }, []],
    ["renewal window, deleteOnDestroy", { renewBeforeDays: UNKNOWN, deleteOnDestroy: UNKNOWN }, []],
    ["server", { server: UNKNOWN }, []],
    ["server fields", { server: { url: UNKNOWN, timeoutSeconds: UNKNOWN, insecureSkipVerify: UNKNOWN } }, []],
  ];
  checkRows(checkRepository, ok, rows);
});

test("Repository diff: gun and server replace; keys, expiry policy, deleteOnDestroy and renewal window update", () => {
  const olds: RepositoryOutputs = {
    ...ok,
    serverUrl: "https://notary.example.com",
    rootKeyId: "c".repeat(64),
    rootCanonicalKeyId: root.id,
    rootCertificate: "",
    targetsKeyId: targets.id,
    snapshotKeyId: "s".repeat(64),
    timestampKeyId: "t".repeat(64),
    snapshotManagedBy: "server",
    trustedRoot: "",
    trustedRootSha256: "e".repeat(64),
    expiryPolicy: {},
    verified: { root: 1, targets: 1, snapshot: 1, timestamp: 1 },
  };
  const rows: DiffRow[] = [
    ["the same", {}, {}, false],
    ["the same server, with a trailing slash", { server: { url: "https://notary.example.com/" } }, {}, false],
    ["another GUN", { gun: "example.com/team/other" }, {}, true, ["gun"]],
    ["another server", { server: { url: "https://other.example.com" } }, {}, true, ["server"]],
    ["unknown inputs", { targetsKey: UNKNOWN }, {}, true],
    ["root key rotated", { rootKey: pem(newKey()) }, {}, true],
    ["targets key rotated", { targetsKey: pem(newKey()) }, {}, true],
    ["a snapshot key given: the client signs snapshots", { snapshotKey: pem(snapshot) }, {}, true],
    ["the snapshot key dropped: the server signs them again", {}, { snapshotKey: pem(snapshot), snapshotKeyId: snapshot.id, snapshotManagedBy: "client" }, true],
    ["expiry policy changed", { expiry: { targetsDays: 90 } }, {}, true],
    ["deleteOnDestroy set", { deleteOnDestroy: true }, {}, true],
    ["renewal window changed", { renewBeforeDays: 30 }, {}, true],
  ];
  diffRows((o: RepositoryOutputs, n: typeof ok) => diffRepository(o, n, { url: "https://notary.example.com" }), olds, ok, rows);
  // The stack config's URL counts when the resource gives none.
  diffRows((o: RepositoryOutputs, n: typeof ok) => diffRepository(o, n, { url: "https://moved.example.com" }), olds, ok, [["the stack config's server moved", {}, {}, true, ["server"]]]);
});
