/**
 * Progress of long operations in `pulumi up` / `preview` / `refresh` output. The dynamic provider host has no engine
 * log channel; a line it writes to stderr is shown by the engine as a diagnostic of the command, as it arrives. A
 * publish or a fetch that takes longer than a few seconds says so (and again every 15 s, and when done); a renewal
 * says which roles it re-signs and why. Never key material: labels name GUNs, roles and counts only.
 */
import type { Repository as SdkRepository } from "../../../sdk/src/index.ts";

export type ProgressOptions = { afterMs?: number; everyMs?: number; write?: (line: string) => void };

const DEFAULTS = { afterMs: 3_000, everyMs: 15_000, write: (line: string) => console.error(line) };

/** One line of progress, prefixed so it reads as ours among the engine's diagnostics. */
export function say(line: string, o: ProgressOptions = {}): void {
  (o.write ?? DEFAULTS.write)(`notary: ${line}`);
}

/** Runs `fn`; past `afterMs` it says that `label` is still running, every `everyMs`, and when it is done. */
export async function timed<T>(label: string, fn: () => Promise<T>, o: ProgressOptions = {}): Promise<T> {
  const { afterMs, everyMs } = { ...DEFAULTS, ...o };
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 1000);
  let said = false;
  let every: ReturnType<typeof setInterval> | undefined;
  const tick = () => {
    said = true;
    say(`${label} (${seconds()} s)…`, o);
  };
  const first = setTimeout(() => {
    tick();
    every = setInterval(tick, everyMs);
    every.unref();
  }, afterMs);
  first.unref();
  try {
    return await fn();
  } finally {
    clearTimeout(first);
    clearInterval(every);
    if (said) say(`${label}: done in ${seconds()} s`, o);
  }
}

const REPORTING = Symbol("notary.progress");

/** The repository handle, its publishes and fetches reporting progress (wrapped once per handle). */
export function reportingProgress(repo: SdkRepository, o: ProgressOptions = {}): SdkRepository {
  const r = repo as SdkRepository & { [REPORTING]?: true };
  if (r[REPORTING]) return repo;
  const publish = repo.publish.bind(repo);
  const fetch = repo.fetch.bind(repo);
  r.publish = (changes, opts) => timed(`publishing to ${repo.gun}`, () => publish(changes, opts), o);
  r.fetch = (opts) => timed(`reading ${repo.gun} from the notary server`, () => fetch(opts), o);
  r[REPORTING] = true;
  return repo;
}
