import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { annotation } from "../../lib/cli/actionsIo";
import { main } from "../../lib/cli/main";
import { captureIo } from "./support/io";

const D = `sha256:${"2".repeat(64)}`;
const LISTING = `0.0.1-rc.2 ${D}\nsha-bbbbbbb ${D}\nintegration-bbbbbbb ${D}\n`;

const capture = () => captureIo();

describe("promotion promote-plan (CLI)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "promote-cli-"));
    writeFileSync(join(dir, "listing.txt"), LISTING);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function plan(eventName: string, event: unknown) {
    writeFileSync(join(dir, "event.json"), JSON.stringify(event));
    const c = capture();
    const code = await main(
      [
        "promote-plan",
        ...["--event", join(dir, "event.json"), "--event-name", eventName],
        ...[
          "--gate-name",
          "platform",
          "--gate-namespace",
          "flux-system",
          "--listing",
          join(dir, "listing.txt"),
        ],
      ],
      c.io,
    );
    return { code, ...c.out };
  }

  const payload = {
    involvedObject: { kind: "Kustomization", name: "platform", namespace: "flux-system" },
    severity: "info",
    metadata: { revision: `0.0.1-rc.2@${D}` },
  };

  it("reads client_payload from the event file and prints the decision for $GITHUB_OUTPUT", async () => {
    const r = await plan("repository_dispatch", {
      action: "Kustomization/platform.flux-system",
      client_payload: payload,
    });
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `action=promote\ndigest=${D}\nversion=0.0.1\ntags=validated-bbbbbbb 0.0.1\n`,
    );
    assert.match(r.stderr, /^::notice::promote: 0\.0\.1-rc\.2/);
  });

  it("ignores another dispatch type and other events; refuses with exit 1", async () => {
    const other = await plan("repository_dispatch", {
      action: "Kustomization/apps.flux-system",
      client_payload: payload,
    });
    assert.deepEqual([other.code, other.stdout], [0, "action=ignore\n"]);
    const push = await plan("push", {});
    assert.deepEqual([push.code, push.stdout], [0, "action=ignore\n"]);
    const bad = await plan("workflow_dispatch", { inputs: { artifact_sha: "zzz" } });
    assert.deepEqual([bad.code, bad.stdout], [1, "action=refuse\n"]);
    assert.match(bad.stderr, /^::error::refuse: artifact_sha "zzz" is not a commit SHA/);
  });

  it("exits 2 on missing flags", async () => {
    const c = capture();
    assert.equal(await main(["promote-plan", "--event", "x"], c.io), 2);
    assert.match(c.out.stderr, /missing --event-name, --gate-name, --gate-namespace, --listing/);
  });

  it("workflow annotations escape what could end the command or start another", () => {
    assert.equal(
      annotation("error", "a\nb\r%c::warning::x"),
      "::error::a%0Ab%0D%25c::warning::x\n",
    );
  });
});
