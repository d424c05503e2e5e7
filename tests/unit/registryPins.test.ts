import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { ofType, registered, settle, useMocks } from "../support/pulumiMocks";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const LINES = "# generated\ncontainer/platform/platform==1.0.0\n";

describe("RegistryPins component", () => {
  before(async () => {
    await useMocks("integration");
  });
  beforeEach(() => {
    registered.length = 0;
  });

  it("copies the lines to the cleaner host and reloads it, both keyed on the content hash", async () => {
    const { RegistryPins } = await import("../../components/registryPins.js");
    const p = new RegistryPins("pins", {
      lines: LINES,
      host: {
        address: "cleaner.example.org",
        port: 2222,
        user: "deploy",
        path: "/etc/clean er/pins.txt",
        reloadCommand: "systemctl reload cleaner",
      },
      privateKey: "KEY",
    });
    await settle();
    assert.equal(p.linesHash, sha(LINES));
    assert.equal(p.hostTarget, "deploy@cleaner.example.org:/etc/clean er/pins.txt");
    const cmds = ofType("command:remote:Command");
    assert.deepEqual(
      cmds.map((c) => c.name),
      ["pins-copy", "pins-reload"],
    );
    const [copy, reload] = cmds as [(typeof cmds)[0], (typeof cmds)[0]];
    assert.equal(
      copy.inputs.create,
      `set -e; mkdir -p "$(dirname '/etc/clean er/pins.txt')"; cat > '/etc/clean er/pins.txt.tmp'; mv '/etc/clean er/pins.txt.tmp' '/etc/clean er/pins.txt'`,
    );
    assert.equal(copy.inputs.stdin, LINES);
    assert.deepEqual(copy.inputs.triggers, [sha(LINES)]);
    // The connection carries the key, so the whole connection is a secret.
    const conn = copy.inputs.connection as Record<string, unknown>;
    assert.equal(conn["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.deepEqual(
      { ...(conn.value as object), dialErrorLimit: undefined, perDialTimeout: undefined },
      {
        host: "cleaner.example.org",
        port: 2222,
        user: "deploy",
        privateKey: "KEY",
        dialErrorLimit: undefined,
        perDialTimeout: undefined,
      },
    );
    assert.equal(reload.inputs.create, "systemctl reload cleaner");
    assert.deepEqual(reload.inputs.triggers, [sha(LINES)]);
    assert.deepEqual(
      ofType("promotion:registry:RegistryPins").map((r) => r.name),
      ["pins"],
    );
  });

  it("writes repository files through RepositoryFiles, and nothing remote without a host", async () => {
    const { RegistryPins } = await import("../../components/registryPins.js");
    const p = new RegistryPins("pins", {
      lines: LINES,
      repositoryFiles: {
        files: [
          { path: "registry/pins.txt", content: LINES },
          { path: "registry/ghcr-retention.yaml", content: 'image-tags: "!1.0.0"\n' },
        ],
        target: { mode: "repository", branch: "main" },
        repository: "platform",
      },
    });
    await settle();
    assert.deepEqual(p.repositoryPaths, ["registry/ghcr-retention.yaml", "registry/pins.txt"]);
    assert.equal(p.hostTarget, undefined);
    assert.deepEqual(ofType("command:remote:Command"), []);
    const files = ofType("github:index/repositoryFile:RepositoryFile");
    assert.deepEqual(files.map((f) => [f.inputs.file, f.inputs.branch]).sort(), [
      ["registry/ghcr-retention.yaml", "main"],
      ["registry/pins.txt", "main"],
    ]);
    assert.equal(files.find((f) => f.inputs.file === "registry/pins.txt")?.inputs.content, LINES);
  });

  it("quotes paths for the shell", async () => {
    const { shellQuote } = await import("../../components/registryPins.js");
    assert.equal(shellQuote("a'b c"), `'a'\\''b c'`);
  });
});
