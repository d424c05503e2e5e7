import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { freePort } from "../support/ports";

// The tests' own port allocator (tests/support/ports.ts): CI stop 27 failed because two servers of one box
// were handed the same port by bind(0).
describe("test harness: freePort", () => {
  it("never hands one process the same port twice, and stays below the kernel's ephemeral range", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length);
    for (const p of ports) assert.ok(p >= 12_000 && p < 32_768, `port ${p}`);
  });

  it("skips a port something else holds", async () => {
    const a = await freePort();
    // Hold the port that comes right after `a` in this process's slice, then ask again.
    const held: Server = createServer();
    await new Promise<void>((r) => held.listen(a + 1, "127.0.0.1", r));
    try {
      const b = await freePort();
      assert.notEqual(b, a + 1);
      assert.ok(b > a + 1, `expected the next free port after ${a + 1}, got ${b}`);
    } finally {
      await new Promise<void>((r) => held.close(() => r()));
    }
  });
});
