/**
 * How one request authenticates, as a state machine (notary's `authRoundTripper` over distribution's
 * `registry/client/auth`). Pure: the Authenticator (auth.ts) sends the attempts and applies the effects a
 * transition names (drop a cached token, remember that a scope needs credentials).
 *
 *   anonymous ──anonymous refused, credentials known──▶ credentials ──credentials refused──▶ AUTH_FAILED
 *       │                                                    │
 *       └──anonymous refused, no credentials──▶ HTTP_UNAUTHORIZED ◀──refused, there were none to send
 *
 *   any state ──cached token refused──▶ refresh: the same identity with a fresh token, then as that identity
 *
 * In every state, a 401 to an attempt that carried nothing (no challenge was known yet) names the challenge, and the
 * request is tried again in the same state (`answerChallenge`).
 */
import type { Challenge } from "./www-authenticate.ts";

/** Who an attempt speaks as. */
export type Identity = "anonymous" | "credentials";

export type AuthState =
  /** Reads (pull-only scopes) go without credentials first, unless their scope needed credentials before. */
  | { readonly name: "anonymous"; readonly challenge: Challenge | undefined }
  /** The credentials answer the challenge: writes from the start, reads once anonymous access was refused. */
  | { readonly name: "credentials"; readonly challenge: Challenge | undefined }
  /** A cached token was refused (revoked, or expired early): the next attempt fetches a fresh one as `identity`. */
  | { readonly name: "refresh"; readonly identity: Identity; readonly challenge: Challenge };

/** What an attempt sent: no header means anonymous Basic (nothing to send). */
export interface Authorization {
  header?: string;
  fromCache: boolean;
  used: Identity;
  /** Where a token came from in the cache, so that a refused one can be dropped. */
  cacheKey?: string;
}

export type AuthEvent =
  /** The server answered 401 with a challenge; `sent` is undefined when the attempt carried nothing. */
  | { readonly type: "unauthorized"; readonly challenge: Challenge; readonly sent: Authorization | undefined }
  /** The token server refused anonymous access before anything was sent. */
  | { readonly type: "tokenRefusedAnonymous" };

export type Transition =
  | {
      readonly to: AuthState;
      /** Cache key of a token to forget. */
      readonly dropToken?: string;
      /** Later requests for this scope start with credentials. */
      readonly rememberNeedsCredentials?: true;
    }
  /** No state is left to try: `noCredentials` → HTTP_UNAUTHORIZED, `credentialsRefused` → AUTH_FAILED. */
  | { readonly fail: "noCredentials" | "credentialsRefused" };

export function identityOf(state: AuthState): Identity {
  return state.name === "refresh" ? state.identity : state.name;
}

/** The first state: anonymous for reads (when allowed and not known to need credentials), credentials otherwise. */
export function startState(o: {
  readOnly: boolean;
  anonymousReads: boolean;
  neededCredentials: boolean;
  challenge: Challenge | undefined;
}): AuthState {
  const anonymous = o.readOnly && o.anonymousReads && !o.neededCredentials;
  return { name: anonymous ? "anonymous" : "credentials", challenge: o.challenge };
}

// ---------------------------------------------------------------------------------------------------------------------
// Transitions

/** The first 401 named the challenge: try again as the same identity, now answering it. */
function answerChallenge(state: AuthState, challenge: Challenge): Transition {
  return { to: { ...state, challenge } };
}

/** A token from the cache was refused: forget it and fetch a fresh one as the same identity. */
function refreshToken(state: AuthState, challenge: Challenge, cacheKey: string): Transition {
  return { to: { name: "refresh", identity: identityOf(state), challenge }, dropToken: cacheKey };
}

/** Anonymous access was refused and there are credentials: use them, for this request and later ones of its scope. */
function useCredentials(challenge: Challenge | undefined): Transition {
  return { to: { name: "credentials", challenge }, rememberNeedsCredentials: true };
}

/** Anonymous access was refused and there is nothing else to try. */
function failWithoutCredentials(): Transition {
  return { fail: "noCredentials" };
}

/** The credentials themselves were refused (wrong, or not granted the scope). */
function failCredentialsRefused(): Transition {
  return { fail: "credentialsRefused" };
}

/** True when the event refused anonymous access: the Authenticator then looks up whether there are credentials. */
export function refusedAnonymous(event: AuthEvent): boolean {
  if (event.type === "tokenRefusedAnonymous") return true;
  const sent = event.sent;
  return sent !== undefined && !isStaleToken(sent) && sent.used === "anonymous";
}

function isStaleToken(sent: Authorization): sent is Authorization & { cacheKey: string } {
  return sent.fromCache && sent.cacheKey !== undefined;
}

/**
 * The transition for `event` in `state`. `hasCredentials` matters only when anonymous access was refused
 * (`refusedAnonymous(event)`).
 *
 * @example
 * nextState({ name: "anonymous", challenge }, { type: "unauthorized", challenge, sent: { fromCache: false, used: "anonymous" } }, true)
 * // { to: { name: "credentials", challenge }, rememberNeedsCredentials: true }
 */
export function nextState(state: AuthState, event: AuthEvent, hasCredentials: boolean): Transition {
  const canEscalate = hasCredentials && identityOf(state) === "anonymous";
  if (event.type === "tokenRefusedAnonymous") return canEscalate ? useCredentials(state.challenge) : failWithoutCredentials();
  const { challenge, sent } = event;
  if (sent === undefined) return answerChallenge(state, challenge);
  if (isStaleToken(sent)) return refreshToken(state, challenge, sent.cacheKey);
  if (sent.used === "anonymous") return canEscalate ? useCredentials(challenge) : failWithoutCredentials();
  return failCredentialsRefused();
}
