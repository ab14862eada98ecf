// Preloaded into every Node process of one CLI command (`NODE_OPTIONS=--require <this file>`) to run it as if
// CLOCK_SHIFT_MS milliseconds later: the provider host then decides renewals as it would that much later. Only Date
// moves; timers, TLS and the servers keep the real clock.
"use strict";
const shift = Number(process.env.CLOCK_SHIFT_MS ?? 0);
if (shift) {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + shift);
      else super(...args);
    }
    static now() {
      return RealDate.now() + shift;
    }
  }
  globalThis.Date = ShiftedDate;
}
