/**
 * Ports for the servers the tests start (registries, API servers, etcd, controllers, Prometheus).
 *
 * Not from the kernel's ephemeral range (`bind(0)`): a port bound there and released is free again at once,
 * and the kernel may hand it to the next `bind(0)` or to any outgoing connection before the server it was
 * meant for binds it. That happened in CI (stop 27): source-controller got the same port for its health probe
 * and its metrics and exited with "address already in use". Here every port comes from below the ephemeral
 * range (`net.ipv4.ip_local_port_range`, 32768-60999 by default), from a slice of its own per process (the
 * flux suite's boxes run in parallel: `scripts/flux-boxes.ts` gives each its `TEST_PORT_SLICE`), and is never
 * handed out twice by one process; a port something else already holds is skipped.
 */
import { createServer } from "node:net";

const FIRST = 12_000;
const SLICE = 1_000;
const SLICES = 20; // 12000-31999, below the ephemeral range's 32768
/** Slices 1-9 are given by `scripts/flux-boxes.ts`; any other process takes one of 10-19 by its pid. */
const slice = ((): number => {
  const given = process.env.TEST_PORT_SLICE;
  if (given === undefined || given === "") return 10 + (process.pid % 10);
  const n = Number(given);
  if (!Number.isInteger(n) || n < 0 || n >= SLICES) {
    throw new Error(
      `TEST_PORT_SLICE=${JSON.stringify(given)}: expected a whole number 0-${SLICES - 1}`,
    );
  }
  return n;
})();
let next = 0;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A port free right now that this process has not handed out before (until its slice wraps around). */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < SLICE; tried++) {
    const port = FIRST + slice * SLICE + (next++ % SLICE);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${FIRST + slice * SLICE}-${FIRST + (slice + 1) * SLICE - 1}`);
}
