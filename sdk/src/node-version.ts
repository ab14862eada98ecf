/**
 * Imported first by every entry point (the SDK, the resources, the provider's runtime, the CLI), before any
 * dependency is evaluated: on an older Node.js, undici (our HTTP client) fails deep inside with "Cannot read
 * properties of undefined (reading 'bind')". Say instead what is needed and how to get it.
 */
export const MIN_NODE = [22, 19, 0] as const;

/** Is `version` ("v22.19.0" or "22.19.0") at least MIN_NODE? */
export function nodeSupported(version: string): boolean {
  const v = version.replace(/^v/, "").split(".").map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < MIN_NODE.length; i++) {
    const a = v[i] ?? 0;
    if (a !== MIN_NODE[i]) return a > MIN_NODE[i]!;
  }
  return true;
}

if (!nodeSupported(process.versions.node)) {
  const e = new Error(
    `pulumi-notary needs Node.js ${MIN_NODE.join(".")} or newer; this is Node.js ${process.versions.node} (${process.execPath}). ` +
      `Install Node.js 22 (for example \`nvm install 22\`), or in a Pulumi project add the npm package "node@22" as a ` +
      `devDependency (\`npm install --save-dev node@22\`), which npm scripts then use`,
  ) as Error & { code: string };
  e.code = "NODE_VERSION_UNSUPPORTED";
  throw e;
}
