/**
 * `expires` formatting against the strings Go's `time.Time.MarshalJSON` wrote into the fixtures (reference §2.1–§2.2):
 * RFC 3339, UTC as `Z`, fraction with trailing zeros dropped (8 or 9 digits in the committed run).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_EXPIRY_MS, DAY_MS, formatGoTime, normalizeGoTime, parseGoTime } from "../../../sdk/src/metadata/time.ts";
import { RUN_START, goJson } from "../helpers/go-fixtures.ts";

type ExpiresCheck = { _type: string; version: number; expires: string; fraction_digits: number; format_ok: boolean; days_after_run_start: number };
const EXPIRES: Record<string, ExpiresCheck> = Object.fromEntries(
  Object.entries(goJson<{ expires: Record<string, ExpiresCheck | string> }>("checks.json").expires).filter(
    (e): e is [string, ExpiresCheck] => typeof e[1] === "object", // drops the "_rule" note
  ),
);
const GO_FORMAT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/;
const MALFORMED = { code: "METADATA_MALFORMED" };

test("fixture coverage: Go expiries with 8 and 9 fraction digits", () => {
  const entries = Object.values(EXPIRES);
  assert.ok(entries.length >= 36);
  const digits = new Set(entries.map((e) => e.fraction_digits));
  assert.ok(digits.has(8), "an 8-digit fraction (a trailing zero dropped by Go)");
  assert.ok(digits.has(9));
  for (const e of entries) {
    assert.ok(e.format_ok);
    assert.match(e.expires, GO_FORMAT);
    assert.equal(/\.(\d+)Z$/.exec(e.expires)![1]!.length, e.fraction_digits);
  }
});

for (const [file, e] of Object.entries(EXPIRES)) {
  test(`normalizeGoTime reproduces Go's expires of ${file} (${e.expires})`, () => {
    const s = e.expires;
    assert.equal(normalizeGoTime(s), s);
    // What Go re-serializes after parsing other spellings of the same instant:
    const [main, frac] = s.slice(0, -1).split(".") as [string, string];
    assert.equal(normalizeGoTime(`${main}.${frac.padEnd(9, "0")}Z`), s, "zero-padded to nanoseconds");
    assert.equal(normalizeGoTime(`${main}.${frac}+00:00`), s, "+00:00");
    assert.equal(normalizeGoTime(`${main}.${frac}-00:00`), s, "-00:00");
    // parse keeps milliseconds (truncated, never rounded), and formatGoTime writes them Go-style.
    const d = parseGoTime(s);
    assert.equal(d.toISOString(), `${main}.${frac.slice(0, 3).padEnd(3, "0")}Z`);
    const formatted = formatGoTime(d);
    assert.match(formatted, GO_FORMAT);
    assert.equal(formatted, `${main}.${frac.slice(0, 3)}`.replace(/\.?0+$/, "") + "Z");
    assert.equal(normalizeGoTime(formatted), formatted);
  });
}

test("normalizeGoTime: trailing zeros dropped, zero offset → Z, other offsets kept (table)", () => {
  const table: [string, string][] = [
    ["2029-11-21T02:12:26.000000000Z", "2029-11-21T02:12:26Z"],
    ["2029-11-21T02:12:26.0Z", "2029-11-21T02:12:26Z"],
    ["2029-11-21T02:12:26Z", "2029-11-21T02:12:26Z"],
    ["2029-11-21T02:12:26.50Z", "2029-11-21T02:12:26.5Z"],
    ["2029-11-21T02:12:26.123456780+00:00", "2029-11-21T02:12:26.12345678Z"],
    ["2029-11-21T02:12:26+00:00", "2029-11-21T02:12:26Z"],
    ["2029-11-21T03:12:26.1+01:00", "2029-11-21T03:12:26.1+01:00"],
    ["2029-11-20T21:12:26.100-05:00", "2029-11-20T21:12:26.1-05:00"],
  ];
  for (const [input, out] of table) assert.equal(normalizeGoTime(input), out, input);
});

test("not RFC 3339 → METADATA_MALFORMED (table)", () => {
  for (const s of [
    "",
    "2029-11-21",
    "2029-11-21 02:12:26Z",
    "2029-11-21T02:12:26",
    "2029-11-21T02:12:26.Z",
    "2029-11-21T02:12:26.1234567890Z",
    "2029-11-21T02:12:26+0000",
    "20291121T021226Z",
  ]) {
    assert.throws(() => normalizeGoTime(s), MALFORMED, JSON.stringify(s));
    assert.throws(() => parseGoTime(s), MALFORMED, JSON.stringify(s));
  }
});

test("formatGoTime: UTC with Z, fraction without trailing zeros, none when whole (table)", () => {
  const table: [string, string][] = [
    ["2026-11-22T03:00:00.000Z", "2026-11-22T03:00:00Z"],
    ["2026-11-22T03:00:00.100Z", "2026-11-22T03:00:00.1Z"],
    ["2026-11-22T03:00:00.120Z", "2026-11-22T03:00:00.12Z"],
    ["2026-11-22T03:00:00.123Z", "2026-11-22T03:00:00.123Z"],
    ["2026-11-22T03:00:00.007Z", "2026-11-22T03:00:00.007Z"],
    ["2036-11-19T03:00:00.010Z", "2036-11-19T03:00:00.01Z"],
  ];
  for (const [iso, out] of table) {
    const s = formatGoTime(new Date(iso));
    assert.equal(s, out, iso);
    assert.match(s, GO_FORMAT);
    assert.equal(parseGoTime(s).toISOString(), iso);
  }
  assert.throws(() => formatGoTime(new Date(Number.NaN)), { code: "INPUT_INVALID" });
});

test("default lifetimes match Go's: expires − lifetime falls inside the recorded run", () => {
  const lifetime: Record<string, number> = {
    Root: DEFAULT_EXPIRY_MS.root,
    Targets: DEFAULT_EXPIRY_MS.targets,
    Snapshot: DEFAULT_EXPIRY_MS.snapshot,
    Timestamp: DEFAULT_EXPIRY_MS.timestamp,
  };
  assert.equal(DEFAULT_EXPIRY_MS.root, 3650 * DAY_MS);
  assert.equal(DEFAULT_EXPIRY_MS.targets, 1095 * DAY_MS);
  assert.equal(DEFAULT_EXPIRY_MS.timestamp, 14 * DAY_MS);
  for (const [file, e] of Object.entries(EXPIRES)) {
    const signedAt = parseGoTime(e.expires).getTime() - lifetime[e._type]!;
    const offset = signedAt - RUN_START.getTime();
    assert.ok(offset >= 0 && offset < 60_000, `${file}: signed ${offset} ms after the run started`);
    assert.equal(Math.round(lifetime[e._type]! / DAY_MS), e.days_after_run_start);
  }
});
