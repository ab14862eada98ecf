// A Pulumi project that installed pulumi-notary the way users do: the package as `npm pack` ships it (built `dist`
// must be current), unpacked under the project's node_modules, with its dependencies beside it (linked from this
// repository's node_modules, so no registry is needed). Providers serialized from there are `require(...)`
// references into node_modules, not code: what a user's state and engine requests hold.
import { execFile } from "node:child_process";
import { mkdir, readdir, symlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { makeTempDir } from "./stack.ts";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface InstalledProject {
  /** The project directory (the provider host's cwd). */
  dir: string;
  /** The installed package's provider objects, loaded from the project's node_modules. */
  providers: typeof import("../../provider/src/providers.ts").providers;
}

export async function installedProject(): Promise<InstalledProject> {
  const dir = await makeTempDir("installed");
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT });
  const tarball = path.join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  const pkgDir = path.join(dir, "node_modules", "pulumi-notary");
  await mkdir(pkgDir, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
  for (const entry of await readdir(path.join(ROOT, "node_modules"))) {
    if (entry === ".bin" || entry === ".package-lock.json" || entry === "pulumi-notary") continue;
    await symlink(path.join(ROOT, "node_modules", entry), path.join(dir, "node_modules", entry));
  }
  const mod = (await import(pathToFileURL(path.join(pkgDir, "dist/provider/src/providers.js")).href)) as Pick<InstalledProject, "providers">;
  return { dir, providers: mod.providers };
}
