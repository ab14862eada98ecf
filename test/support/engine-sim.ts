// The engine's scheduling shape for many new resources, without the Pulumi CLI: the step generator checks
// registrations one at a time, and the step executor runs up to `parallel` creates at once (the CLI's default
// `--parallel` is 4 × GOMAXPROCS). Used by the benchmark and the scale tests.

export async function simulateEngine<T>(
  items: readonly T[],
  parallel: number,
  check: (t: T) => Promise<unknown>,
  step: (t: T, checked: unknown) => Promise<void>,
  opts: { checkAllFirst?: boolean } = {},
): Promise<void> {
  const ready: { t: T; c: unknown }[] = [];
  let generated = false;
  let waiters: (() => void)[] = [];
  const wakeAll = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const gen = (async () => {
    for (const t of items) {
      const c = await check(t);
      ready.push({ t, c });
      if (!opts.checkAllFirst) wakeAll();
    }
    generated = true;
    wakeAll();
  })();
  const worker = async () => {
    for (;;) {
      const job = ready.shift();
      if (job && (generated || !opts.checkAllFirst)) {
        await step(job.t, job.c);
        continue;
      }
      if (job) ready.unshift(job);
      if (generated && ready.length === 0) return;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  await Promise.all([gen, ...Array.from({ length: parallel }, worker)]);
}

/** Run `fn` over items with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
