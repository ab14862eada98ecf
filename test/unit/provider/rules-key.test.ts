// Every check and diff rule of the Key, table-driven and offline (rules-support.ts runs the tables).
import { test } from "node:test";
import { writePrivateKeyFile } from "../../../sdk/src/crypto/keyfile-write.ts";
import { checkKey } from "../../../provider/src/inputs/key.ts";
import { diffKey, type KeyOutputs } from "../../../provider/src/runtime/key.ts";
import { checkRows, diffRows, newKey, pem, pubPem, UNKNOWN, type CheckRow, type DiffRow } from "./rules-support.ts";

const key = newKey();
// A notary key file under a passphrase no environment variable holds (the check must not find it by itself).
const PASS = "rules-key-passphrase";
const encrypted = writePrivateKeyFile({ keyType: "ecdsa", pkcs8: key.exportPkcs8(), role: "ci", passphrase: PASS });

test("Key check: the PEM is read (with its passphrase); the other inputs are text", () => {
  const rows: CheckRow[] = [
    ["nothing: a key is generated", {}, []],
    ["a PEM", { pem: pem(key), role: "targets" }, []],
    ["an encrypted key file with its passphrase", { pem: encrypted, passphrase: PASS }, []],
    ["not a PEM", { pem: "garbage" }, [["pem", /^pem: expected a PEM private key$/]]],
    ["a public key", { pem: pubPem(key) }, [["pem", /^pem: /]]],
    ["an encrypted key file without its passphrase", { pem: encrypted }, [["pem", /passphrase/i]]],
    ["a wrong passphrase, never shown", { pem: encrypted, passphrase: "not-it" }, [["pem", /^(?!.*not-it).*passphrase/i]]],
    ["passphrase not text (the PEM is not read)", { pem: encrypted, passphrase: 5 }, [["passphrase", /^must be a string$/]]],
    ["role not text", { role: 1 }, [["role", /^must be a string$/]]],
  ];
  checkRows(checkKey, {}, rows);
});

test("Key check in a preview: an unknown PEM or passphrase waits", () => {
  checkRows(checkKey, {}, [
    ["PEM", { pem: UNKNOWN }, []],
    ["passphrase", { pem: encrypted, passphrase: UNKNOWN }, []],
    ["role", { role: UNKNOWN }, []],
  ]);
});

test("Key diff: another PEM or passphrase replaces (the new key first); the role updates", () => {
  const news = { pem: pem(key), role: "ci" };
  const olds: KeyOutputs = { ...news, keyId: key.id, keyType: "ecdsa", publicKeyPem: pubPem(key), privateKeyPem: pem(key) };
  const rows: DiffRow[] = [
    ["the same", {}, {}, false],
    ["another PEM", { pem: pem(newKey()) }, {}, true, ["pem"]],
    ["a passphrase given", { passphrase: PASS }, {}, true, ["passphrase"]],
    ["another role", { role: "releases" }, {}, true],
  ];
  diffRows((o: KeyOutputs, n: typeof news) => diffKey(o, n), olds, news, rows, false);
});
