#!/usr/bin/env node
// pulumi-notary CLI: a small non-interactive companion to the SDK. This file only dispatches; each command is its own
// module (inspect.ts, graph.ts, expiry.ts, verify.ts, key.ts) and `pulumi-notary --help` (usage.ts) explains them all.
//
// Exit status: 0 done, 1 failed (one line on stderr, `CODE: message` for SDK errors, never a stack trace), 2 bad usage.
import "../sdk/src/node-version.ts"; // first: a clear message on an older Node.js, before any dependency loads
import { isNotaryError } from "../sdk/src/index.ts";
import { CommandFailure, UsageError, parseCommandArgs } from "./args.ts";
import type { Command, Io } from "./args.ts";
import { inspectCommand } from "./inspect.ts";
import { graphCommand } from "./graph.ts";
import { expiryCommand } from "./expiry.ts";
import { verifyCommand } from "./verify.ts";
import { keyGenerateCommand } from "./key.ts";
import { commandHelp, fullHelp } from "./usage.ts";

const COMMANDS: readonly Command[] = [inspectCommand, graphCommand, expiryCommand, verifyCommand, keyGenerateCommand];
const HELP_FLAGS = new Set(["--help", "-h", "help"]);

/** The command `argv` names (`key generate` takes two words) and its arguments. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const command of COMMANDS) {
    const words = command.name.split(" ");
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

function unknownCommand(argv: string[]): UsageError {
  if (argv[0] === "key") {
    return new UsageError(argv[1] === undefined ? "key: missing subcommand (generate)" : `key: unknown subcommand ${JSON.stringify(argv[1])} (try key generate)`);
  }
  return new UsageError(`unknown command ${JSON.stringify(argv[0])}`);
}

/** `help`, `--help`, `help COMMAND`, `key --help`. */
function help(topic: string[], io: Io): number {
  const words = topic.filter((w) => !HELP_FLAGS.has(w));
  if (words.length === 0) {
    io.out(fullHelp(COMMANDS));
    return 0;
  }
  const found = findCommand(words) ?? (words[0] === "key" && words.length === 1 ? { command: keyGenerateCommand, rest: [] } : undefined);
  if (!found || found.rest.length > 0) throw new UsageError(`help: no command ${JSON.stringify(words.join(" "))}`);
  io.out(commandHelp(found.command));
  return 0;
}

async function main(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0) throw new UsageError("no command given");
  if (HELP_FLAGS.has(argv[0]!)) return help(argv.slice(1), io);
  if (argv[0] === "key" && argv.length === 2 && HELP_FLAGS.has(argv[1]!)) return help(["key"], io);
  const found = findCommand(argv);
  if (!found) throw unknownCommand(argv);
  const parsed = parseCommandArgs(found.command, found.rest);
  if (parsed === "help") {
    io.out(commandHelp(found.command));
    return 0;
  }
  return found.command.run(parsed, io);
}

/** One line for stderr: no stack trace, SDK errors as `CODE: message`, usage errors with a pointer to the help. */
function describeError(e: unknown, argv: string[]): { line: string; code: number } {
  if (e instanceof UsageError) {
    const cmd = findCommand(argv)?.command.name;
    return { line: `pulumi-notary: ${e.message} (see: pulumi-notary ${cmd ? `${cmd} ` : ""}--help)`, code: 2 };
  }
  if (e instanceof CommandFailure) return { line: `pulumi-notary: ${e.message}`, code: 1 };
  if (isNotaryError(e)) return { line: `pulumi-notary: ${e.code}: ${e.message}`, code: 1 };
  return { line: `pulumi-notary: ${e instanceof Error ? e.message : String(e)}`, code: 1 };
}

const argv = process.argv.slice(2);
const io: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
  now: () => new Date(),
};
main(argv, io).then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (e: unknown) => {
    const { line, code } = describeError(e, argv);
    process.stderr.write(line.replace(/\s*\n\s*/g, " ") + "\n", () => process.exit(code));
  },
);
