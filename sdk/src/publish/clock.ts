/**
 * Time as the publish wing sees it, handed in so that lingering, back-off and riders' lifetimes can be tested
 * without waiting.
 */
export type Clock = {
  /** The time signatures are made at: expiries are counted from it (ServerOptions.now). */
  now(): Date;
  /** Milliseconds on a monotonic clock: staging pace, lingering, riders' lifetimes. */
  ms(): number;
  sleep(ms: number): Promise<void>;
};

export function systemClock(now: () => Date): Clock {
  return { now, ms: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
}
