// A notary-server shared by the tests of one file: started in `before`, stopped by pid in `after`.
import { before, after } from "node:test";
import { startNotaryServer, type NotaryServer, type NotaryServerOptions } from "./stack.ts";

/** The file's server, usable as a plain `NotaryServer` from inside tests (it exists once `before` has run). */
export function notaryServerPerFile(opts: NotaryServerOptions = {}): NotaryServer {
  let started: NotaryServer | undefined;
  before(async () => {
    started = await startNotaryServer(opts);
  });
  after(async () => {
    await started?.stop();
  });
  return lateBound(() => {
    if (!started) throw new Error("the file's notary-server is started in before(): use it inside tests");
    return started;
  });
}

/**
 * An object that stands for the one `get()` returns when used (set up by a hook, after the test file's top level ran):
 * property reads, method calls and writes go to it.
 */
export function lateBound<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get: (_t, key) => {
      const target = get();
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
    set: (_t, key, value) => Reflect.set(get(), key, value),
  });
}
