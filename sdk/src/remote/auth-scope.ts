/** The access a registry request asks for, as distribution's token scopes spell it. Pure. */

/** What a request needs: a raw scope (`registry:catalog:*`) or a repository and its actions (`pull`, `push,pull`, `*`). */
export type ScopeSpec = string | { repository: string; actions: string | readonly string[] };

/**
 * `repository:<name>:<actions>` as notary and docker build it.
 *
 * @example
 * repositoryScope("127.0.0.1:5000/a/b", ["push", "pull"]) // "repository:127.0.0.1:5000/a/b:push,pull"
 */
export function repositoryScope(repository: string, actions: string | readonly string[]): string {
  const a = typeof actions === "string" ? actions : actions.join(",");
  return `repository:${repository}:${a}`;
}

export function scopeString(spec: ScopeSpec | undefined): string | undefined {
  if (spec === undefined) return undefined;
  return typeof spec === "string" ? spec : repositoryScope(spec.repository, spec.actions);
}

/** True when every action of the scope is `pull` (the actions are after the last colon). */
export function isReadOnlyScope(scope: string): boolean {
  const actions = scope.slice(scope.lastIndexOf(":") + 1).split(",").map((a) => a.trim());
  return actions.length > 0 && actions.every((a) => a === "pull");
}
