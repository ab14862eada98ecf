/**
 * The help text, written from the commands' own option tables (so every option the parser accepts is explained), plus
 * the environment variables the CLI and the SDK read, and the exit statuses.
 */
import type { Command, OptionSpec } from "./args.ts";

const WIDTH = 100;
const PROGRAM = "pulumi-notary";

/** The environment variables read, and what for. */
export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ["DOCKER_CONTENT_TRUST_SERVER", "Notary server URL when --server is not given (as docker)."],
  ["NOTARY_AUTH", "Credentials for the server, base64 of user:password (as the notary CLI)."],
  [
    "DOCKER_CONFIG",
    "Directory of docker's config.json (default ~/.docker): its credentials (and credential helpers) for the image's " +
      "registry are used when NOTARY_AUTH is not set, as docker does.",
  ],
  ["HOME", "Where ~/.docker is."],
  ["PATH", "Where the docker credential helpers named in config.json (docker-credential-NAME) are found."],
  ["NOTARY_PASSPHRASE", "key generate: passphrase that encrypts the new private key (first choice)."],
  ["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "key generate: the passphrase when NOTARY_PASSPHRASE is not set (docker's, for signer keys)."],
  ["DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "key generate root: the passphrase when NOTARY_PASSPHRASE is not set (docker's, for root keys)."],
];

/** Words of `text` in lines of at most `width` characters, each starting with `indent`. */
export function wrap(text: string, indent: string, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

/** `name` padded to the column, then its text wrapped under the column (or on the next line when `name` is long). */
function entry(name: string, text: string, column: number): string[] {
  const body = wrap(text, " ".repeat(column));
  if (name.length + 2 > column) return [name, ...body];
  return [name.padEnd(column) + (body[0] ?? "").trimStart(), ...body.slice(1)];
}

function optionName(name: string, spec: OptionSpec): string {
  return `    ${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`;
}

/** The section of one command: usage line, summary, details and options. */
export function commandHelp(c: Command): string {
  const lines = [`usage: ${PROGRAM} ${c.name} ${c.synopsis}`, "", ...wrap(c.summary, "  ")];
  for (const d of c.details) lines.push("", ...wrap(d, "  "));
  lines.push("", "  options:");
  const options: [string, OptionSpec][] = [...Object.entries(c.options), ["help", { type: "boolean", short: "h", help: "Show this help." }]];
  for (const [name, spec] of options) lines.push(...entry(optionName(name, spec), spec.help, 32));
  return lines.join("\n") + "\n";
}

function environmentHelp(): string[] {
  const lines = ["environment:"];
  for (const [name, text] of ENVIRONMENT) lines.push(...entry(`  ${name}`, text, 32));
  return lines;
}

/** `pulumi-notary --help`: every command, option and environment variable. */
export function fullHelp(commands: readonly Command[]): string {
  const lines = [
    `usage: ${PROGRAM} <command> [arguments] [options]`,
    `       ${PROGRAM} <command> --help`,
    "",
    ...wrap(
      "Docker Content Trust (Notary v1) from the command line: read a repository's verified trust data as docker shows it, " +
        "draw its trust graph, check expiries in CI, verify that a tag is signed as required (for deployments), and make " +
        "signing keys. Nothing is trusted until verified from the " +
        "pinned root (--root-key-id) or, when asked, from the server's root (--tofu).",
      "",
    ),
    "",
    "commands:",
    ...commands.flatMap((c) => entry(`  ${c.name}`, c.summary, 18)),
    ...entry("  help [COMMAND]", "This text, or one command's.", 18),
    "",
  ];
  const sections = commands.map(commandHelp);
  const tail = [
    ...environmentHelp(),
    "",
    "exit status:",
    "  0  done (expiry: nothing expires within the window)",
    "  1  failed: the server, verification or a file, in one line on stderr (`CODE: message` for SDK errors);",
    "     expiry: a role expires within the window (listed on stdout); verify: the tag is not signed as required",
    "  2  bad usage: unknown command or option, missing argument, no trust anchor, no passphrase",
  ];
  return [lines.join("\n"), ...sections, tail.join("\n") + "\n"].join("\n");
}
