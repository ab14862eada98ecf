// Every check and diff rule of the Signer, table-driven and offline (rules-support.ts runs the tables).
import { test } from "node:test";
import { checkSigner } from "../../../provider/src/inputs/roles.ts";
import { diffSigner, type SignerOutputs } from "../../../provider/src/runtime/signer.ts";
import { checkRows, diffRows, newKey, pem, PIN, pubPem, tufId, UNKNOWN, type CheckRow, type DiffRow } from "./rules-support.ts";

const [targets, a, b] = [newKey(), newKey(), newKey()];
const ok = { ...PIN, name: "alice", keys: [pubPem(a)], targetsKey: pem(targets) };

test("Signer check: docker's signer names, keys, targets key, repository pin", () => {
  const rows: CheckRow[] = [
    ["valid", {}, []],
    ["releases is taken", { name: "releases" }, [["name", /^"releases" is not a valid signer name: .*not "releases"$/]]],
    ["uppercase", { name: "Alice" }, [["name", /is not a valid signer name/]]],
    ["space", { name: "bad name" }, [["name", /is not a valid signer name/]]],
    ["name missing", { name: undefined }, [["name", /^undefined is not a valid signer name/]]],
    ["no keys", { keys: [] }, [["keys", /^needs at least one public key PEM/]]],
    ["a key that is not a PEM", { keys: ["nope"] }, [["keys[0]", /^keys\[0\]: expected a PEM public key/]]],
    ["targets key not a PEM", { targetsKey: "nope" }, [["targetsKey[0]", /^targetsKey\[0\]: expected a PEM private key$/]]],
    ["targets key missing", { targetsKey: undefined }, [["targetsKey", /^needs at least one private key PEM$/]]],
    ["GUN missing", { gun: undefined }, [["gun", /^is required: the repository name/]]],
    ["no repository and no pin", { trustedRootSha256: undefined }, [["repository", /^pass the Repository resource/]]],
  ];
  checkRows(checkSigner, ok, rows);
});

test("Signer check in a preview: unknown values wait", () => {
  checkRows(checkSigner, ok, [
    ["name", { name: UNKNOWN }, []],
    ["keys", { keys: [UNKNOWN] }, []],
    ["targets key", { targetsKey: UNKNOWN }, []],
    ["GUN and pin", { gun: UNKNOWN, trustedRootSha256: UNKNOWN }, []],
  ]);
});

test("Signer diff: gun and name replace; keys, drift in either role and a rotated targets key update", () => {
  const olds: SignerOutputs = { ...ok, role: "targets/alice", keyIds: [tufId(a)], canonicalKeyIds: [a.id], serverKeyIds: [tufId(a)], releasesKeyIds: [tufId(a)] };
  const rows: DiffRow[] = [
    ["the same", {}, {}, false],
    ["another GUN", { gun: "example.com/team/other" }, {}, true, ["gun"]],
    ["renamed", { name: "bob" }, {}, true, ["name"]],
    ["unknown inputs", { keys: [UNKNOWN] }, {}, true],
    ["another key", { keys: [pubPem(b)] }, {}, true],
    ["targets key rotated", { targetsKey: pem(newKey()) }, {}, true],
    ["its role changed out of band", {}, { serverKeyIds: [tufId(b)] }, true],
    ["removed from releases out of band", {}, { releasesKeyIds: [] }, true],
  ];
  diffRows((o: SignerOutputs, n: typeof ok) => diffSigner(o, n), olds, ok, rows);
});
