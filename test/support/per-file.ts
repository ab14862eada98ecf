// A notary-server shared by the tests of one file: started in `before`, stopped by pid in `after`.
import { before, after } from "node:test";
import { startNotaryServer, type NotaryServer, type NotaryServerOptions } from "./stack.ts";

/**
 * The file's server, usable as a plain `NotaryServer` from inside tests (it exists once `before` has run).
 *
 * @example
 * const server = notaryServerPerFile({ tls: true });
 * test("…", async () => { const client = new NotaryClient({ url: server.url }); });
 */
export function notaryServerPerFile(opts: NotaryServerOptions = {}): NotaryServer {
  let started: NotaryServer | undefined;
  before(async () => {
    started = await startNotaryServer(opts);
  });
  after(async () => {
    await started?.stop();
  });
  const live = (): NotaryServer => {
    if (!started) throw new Error("the file's notary-server is started in before(): use it inside tests");
    return started;
  };
  return new Proxy({} as NotaryServer, {
    get: (_t, key) => {
      const value: unknown = Reflect.get(live(), key);
      return typeof value === "function" ? value.bind(live()) : value;
    },
  });
}
