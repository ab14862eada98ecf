/**
 * What every command shares: the command shape (options as data, so `--help` is written from the same table the parser
 * uses), strict option parsing with clean messages, usage errors (exit 2) apart from failures (exit 1), docker image
 * references (`NAME[:TAG]` → GUN and tag) and time windows (`30d`, `72h`, `30`).
 */
import { parseArgs } from "node:util";
import { isNotaryError, parseImageReference } from "../sdk/src/index.ts";

/** Bad command line: printed as one line with a pointer to `--help`, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The command ran and failed (a file could not be written, …): printed as one line, exit status 1. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}

export type OptionSpec = {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** Placeholder shown in help, e.g. `URL`. */
  value?: string;
  help: string;
};

export type Io = {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
};

export type Parsed = { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };

export type Command = {
  /** `inspect`, `key generate`. */
  name: string;
  /** Arguments after the name, e.g. `NAME[:TAG]... [options]`. */
  synopsis: string;
  summary: string;
  /** Paragraphs shown by `<command> --help` and in the full help. */
  details: string[];
  options: Readonly<Record<string, OptionSpec>>;
  positionals: { min: number; max: number; what: string };
  run: (p: Parsed, io: Io) => Promise<number>;
};

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", help: "Show this command's help." };

/** The options of a command as `node:util` parseArgs wants them (plus `--help`). */
function parseConfig(command: Command): Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> {
  const out: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries({ ...command.options, help: HELP_OPTION })) {
    out[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) };
  }
  return out;
}

/** parseArgs' messages, made short and about this command (they otherwise explain `--` escaping at length). */
function cleanParseError(command: string, e: unknown): UsageError {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const opt = /Unknown option '([^']+)'/.exec(msg)?.[1] ?? msg;
    return new UsageError(`${command}: unknown option ${opt}`);
  }
  const missing = /^Option '(-[^' ]+)(?:, -[^' ]+)?(?: <value>)?' argument missing/.exec(msg);
  if (missing) return new UsageError(`${command}: option ${missing[1]} needs a value`);
  const takesNone = /^Option '(-[^' ]+)[^']*' does not take an argument/.exec(msg);
  if (takesNone) return new UsageError(`${command}: option ${takesNone[1]} takes no value`);
  return new UsageError(`${command}: ${msg.split(". ")[0]}`);
}

/**
 * Parses a command's arguments strictly: unknown options, missing values and a wrong number of arguments are usage
 * errors. Returns "help" when `--help` / `-h` was given.
 */
export function parseCommandArgs(command: Command, argv: string[]): Parsed | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseConfig(command), allowPositionals: true, strict: true });
  } catch (e) {
    throw cleanParseError(command.name, e);
  }
  if (parsed.values["help"] === true) return "help";
  const n = parsed.positionals.length;
  const { min, max, what } = command.positionals;
  if (n < min) throw new UsageError(`${command.name}: missing ${what}`);
  if (n > max) throw new UsageError(`${command.name}: unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  return { values: parsed.values, positionals: parsed.positionals };
}

export function stringOpt(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function boolOpt(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function listOpt(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
}

// ---------------------------------------------------------------------------------------------------------------------
// Image references

export type RepoRef = {
  /** The argument as typed, without its tag: what docker prints as the name. */
  typed: string;
  /** The GUN notary uses: docker's normalised name (`alpine` → `docker.io/library/alpine`). */
  gun: string;
  /** Registry host (`127.0.0.1:5000`, `docker.io`): whose docker credentials apply. */
  registry: string;
  tag?: string;
};

/**
 * `NAME[:TAG]` the way docker reads it: the last `:` after the last `/` starts a tag, so a registry port
 * (`127.0.0.1:5000/team/app`) is not one. Digests are refused: trust data is looked up by tag.
 * @example parseRepoRef("127.0.0.1:5000/team/app:v1") // { gun: "127.0.0.1:5000/team/app", tag: "v1", … }
 */
export function parseRepoRef(arg: string): RepoRef {
  if (arg.includes("@")) {
    throw new UsageError(`${JSON.stringify(arg)}: digest references (@sha256:…) are not supported: trust data is looked up by tag, use NAME[:TAG]`);
  }
  let ref;
  try {
    ref = parseImageReference(arg);
  } catch (e) {
    throw new UsageError(isNotaryError(e) ? e.message : String(e));
  }
  const typed = ref.tag === undefined ? arg : arg.slice(0, arg.length - ref.tag.length - 1);
  return { typed, gun: ref.gun, registry: ref.registry, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------------
// Time windows

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Longer than any notary lifetime (root: 10 years); keeps the arithmetic far from Date's limits. */
const MAX_WINDOW_DAYS = 100 * 365;

/**
 * A window such as `30d`, `72h` or `30` (days) in milliseconds.
 * @example parseWindow("30d") // 2592000000
 */
export function parseWindow(text: string, option = "--within"): number {
  const m = /^(\d{1,6})([dh]?)$/.exec(text);
  if (!m) throw new UsageError(`${option} ${JSON.stringify(text)}: give a whole number of days or hours, e.g. 30d, 72h or 30 (days)`);
  const n = Number(m[1]);
  const ms = m[2] === "h" ? n * HOUR_MS : n * DAY_MS;
  if (ms > MAX_WINDOW_DAYS * DAY_MS) throw new UsageError(`${option} ${text}: at most ${MAX_WINDOW_DAYS} days`);
  return ms;
}

/** `9d 4h`, `3h`, `0h`: a duration for people reading CI logs (rounded down to the hour). */
export function formatDuration(ms: number): string {
  const hours = Math.floor(Math.abs(ms) / HOUR_MS);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return d > 0 ? (h > 0 ? `${d}d ${h}h` : `${d}d`) : `${h}h`;
}
