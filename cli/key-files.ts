/**
 * Creating the output directory and the key files without ever looping or overwriting.
 *
 * `mkdirSync(dir, { recursive: true })` never returns for a directory under /proc (Node 22: mkdir answers ENOENT, the
 * recursive walk creates the parent, which exists, and tries again, forever at full CPU). Here each missing component
 * is created once, non-recursively, so any refusal from the OS ends the command at once, naming the directory.
 */
import { mkdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CommandFailure } from "./args.ts";

function osError(e: unknown): string {
  return (e as Error).message;
}

/** Is `dir` an existing directory (false when missing; a failure for anything else in the way). */
function isDirectory(dir: string): boolean {
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    throw new CommandFailure(`cannot use the directory ${dir}: ${osError(e)}`);
  }
  if (st === undefined) return false;
  if (!st.isDirectory()) throw new CommandFailure(`cannot use the directory ${dir}: it exists and is not a directory`);
  return true;
}

/**
 * Makes `dir` and any missing parents (mode 0700), one mkdir per component.
 * @example ensureDirectory("keys/ci") // creates keys/ and keys/ci/ when missing
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !isDirectory(d); ) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      throw new CommandFailure(`cannot create the directory ${d}: ${osError(e)}`);
    }
  }
}

/** Writes a file that must not exist yet (`wx`); on failure names the file and the OS error. */
export function writeNewFile(file: string, content: string, mode: number): void {
  try {
    writeFileSync(file, content, { mode, flag: "wx" });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CommandFailure(code === "EEXIST" ? `${file} already exists: not overwriting it` : `cannot write ${file}: ${osError(e)}`);
  }
}

/** Removes a file written by this command when a later step failed (best effort: the first error is what matters). */
export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone or not removable; the failure being reported says what went wrong
  }
}
