/** Error messages that carry their code to the engine, in the reader's terms. */
import { inPulumiTerms } from "./terms.ts";

/**
 * Errors reach the engine as their message only (the dynamic provider host's `grpcResponseFromError` sends
 * `e.message`), which would drop a NotaryError's code. Prefix it, so `pulumi up` shows e.g.
 * `SIGNING_KEY_MISSING: cannot sign targets: …` and a program or CI log can branch on the code.
 */
export function withErrorCode<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const tag = (e: unknown): never => {
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    if (e instanceof Error && typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) && !e.message.startsWith(`${code}: `)) {
      e.message = `${code}: ${inPulumiTerms(e.message)}`;
      if (code === "METADATA_ROLLBACK") {
        e.message +=
          ". The versions already trusted come from this stack's state. If the server was restored from a backup, accept " +
          "its older metadata deliberately for one command: `NOTARY_ACCEPT_ROLLBACK=true pulumi refresh`";
      }
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
