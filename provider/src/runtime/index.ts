/**
 * The resource implementations the dynamic providers load by package name (`pulumi-notary/runtime`) inside their
 * methods. Not a public API.
 */
import * as repository from "./repository.ts";
import * as roles from "./roles.ts";
import * as signedTag from "./signed-tag.ts";

export * from "./common.ts";
export * from "./checks.ts";
export * from "./repository.ts";
export * from "./roles.ts";
export * from "./signed-tag.ts";
export * from "./key.ts";

/**
 * Errors reach the engine as their message only (the dynamic provider host's `grpcResponseFromError` sends
 * `e.message`), which would drop a NotaryError's code. Prefix it, so `pulumi up` shows e.g.
 * `SIGNING_KEY_MISSING: cannot sign targets: …` and a program or CI log can branch on the code.
 */
export function withErrorCode<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const tag = (e: unknown): never => {
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    if (e instanceof Error && typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) && !e.message.startsWith(`${code}: `)) {
      e.message = `${code}: ${e.message}`;
    }
    throw e;
  };
  return (...args: A): R => {
    try {
      const r = f(...args);
      return (r instanceof Promise ? r.catch(tag) : r) as R;
    } catch (e) {
      return tag(e);
    }
  };
}

// The CRUD entry points the providers call, with coded messages (these shadow the `export *` names above).
export const createRepository = withErrorCode(repository.createRepository);
export const updateRepository = withErrorCode(repository.updateRepository);
export const readRepository = withErrorCode(repository.readRepository);
export const deleteRepository = withErrorCode(repository.deleteRepository);
export const createDelegation = withErrorCode(roles.createDelegation);
export const updateDelegation = withErrorCode(roles.updateDelegation);
export const readDelegation = withErrorCode(roles.readDelegation);
export const deleteDelegation = withErrorCode(roles.deleteDelegation);
export const createSigner = withErrorCode(roles.createSigner);
export const updateSigner = withErrorCode(roles.updateSigner);
export const readSigner = withErrorCode(roles.readSigner);
export const deleteSigner = withErrorCode(roles.deleteSigner);
export const createSignedTag = withErrorCode(signedTag.createSignedTag);
export const updateSignedTag = withErrorCode(signedTag.updateSignedTag);
export const readSignedTag = withErrorCode(signedTag.readSignedTag);
export const deleteSignedTag = withErrorCode(signedTag.deleteSignedTag);
