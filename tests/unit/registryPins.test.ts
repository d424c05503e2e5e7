import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { ofType, registered, settle, useMocks } from "../support/pulumiMocks";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const POLICY = "# generated\napiVersion: promotion-pipeline/v1\nkind: PinsPolicy\n";
const CLI = "#!/usr/bin/env node\nconsole.log('promotion');\n";

describe("RegistryPins component", () => {
  before(async () => {
    await useMocks("integration");
  });
  beforeEach(() => {
    registered.length = 0;
  });

  it("copies the policy and the CLI to the cleaner host, then reloads, keyed on their hashes", async () => {
    const { RegistryPins } = await import("../../components/registryPins.js");
    const p = new RegistryPins("pins", {
      policy: POLICY,
      cli: CLI,
      host: {
        address: "cleaner.example.org",
        port: 2222,
        user: "deploy",
        directory: "/etc/clean er",
        reloadCommand: "systemctl reload cleaner",
      },
      privateKey: "KEY",
    });
    await settle();
    assert.equal(p.policyHash, sha(POLICY));
    assert.equal(p.hostTarget, "deploy@cleaner.example.org:/etc/clean er");
    const cmds = ofType("command:remote:Command");
    assert.deepEqual(
      cmds.map((c) => c.name),
      ["pins-policy", "pins-cli", "pins-reload"],
    );
    const [policy, cli, reload] = cmds as [(typeof cmds)[0], (typeof cmds)[0], (typeof cmds)[0]];
    assert.equal(
      policy.inputs.create,
      `set -e; mkdir -p '/etc/clean er'; cat > '/etc/clean er/.pins-policy.yaml.tmp'; mv '/etc/clean er/.pins-policy.yaml.tmp' '/etc/clean er/pins-policy.yaml'`,
    );
    assert.equal(policy.inputs.stdin, POLICY);
    assert.deepEqual(policy.inputs.triggers, [sha(POLICY)]);
    assert.equal(
      cli.inputs.create,
      `set -e; mkdir -p '/etc/clean er'; cat > '/etc/clean er/.promotion.mjs.tmp'; mv '/etc/clean er/.promotion.mjs.tmp' '/etc/clean er/promotion.mjs'`,
    );
    assert.equal(cli.inputs.stdin, CLI);
    assert.deepEqual(cli.inputs.triggers, [sha(CLI)]);
    // The connection carries the key, so the whole connection is a secret.
    const conn = policy.inputs.connection as Record<string, unknown>;
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
    assert.deepEqual(reload.inputs.triggers, [sha(POLICY), sha(CLI)]);
    assert.deepEqual(
      ofType("promotion:registry:RegistryPins").map((r) => r.name),
      ["pins"],
    );
  });

  it("refuses a host without the CLI bundle (the host could not expand the policy)", async () => {
    const { RegistryPins } = await import("../../components/registryPins.js");
    assert.throws(
      () =>
        new RegistryPins("pins", {
          policy: POLICY,
          host: { address: "h", port: 22, user: "u", directory: "/d" },
        }),
      /a cleaner host needs the promotion CLI bundle/,
    );
  });

  it("writes repository files and the local registry directory through RepositoryFiles, nothing remote without a host", async () => {
    const { RegistryPins } = await import("../../components/registryPins.js");
    const p = new RegistryPins("pins", {
      policy: POLICY,
      repositoryFiles: {
        files: [
          { path: "registry/pins-policy.yaml", content: POLICY },
          { path: ".github/workflows/registry-retention.yaml", content: "name: x\n" },
        ],
        target: { mode: "repository", branch: "main" },
        repository: "platform",
      },
      directoryFiles: {
        files: [{ path: "pins-policy.yaml", content: POLICY }],
        directory: "out/integration/registry",
      },
    });
    await settle();
    assert.deepEqual(p.repositoryPaths, [
      ".github/workflows/registry-retention.yaml",
      "registry/pins-policy.yaml",
    ]);
    assert.deepEqual(p.directoryPaths, ["out/integration/registry/pins-policy.yaml"]);
    assert.deepEqual(p.repositoryHashes, {
      ".github/workflows/registry-retention.yaml": sha("name: x\n"),
      "registry/pins-policy.yaml": sha(POLICY),
    });
    assert.deepEqual(p.directoryHashes, { "pins-policy.yaml": sha(POLICY) });
    assert.equal(p.hostTarget, undefined);
    assert.deepEqual(ofType("command:remote:Command"), []);
    const files = ofType("github:index/repositoryFile:RepositoryFile");
    assert.deepEqual(files.map((f) => [f.inputs.file, f.inputs.branch]).sort(), [
      [".github/workflows/registry-retention.yaml", "main"],
      ["registry/pins-policy.yaml", "main"],
    ]);
    assert.equal(
      files.find((f) => f.inputs.file === "registry/pins-policy.yaml")?.inputs.content,
      POLICY,
    );
    const local = ofType("command:local:Command");
    assert.equal(local.length, 1);
    assert.deepEqual(local[0]?.inputs.environment, {
      TARGET_FILE: "out/integration/registry/pins-policy.yaml",
    });
    assert.equal(local[0]?.inputs.stdin, POLICY);
  });

  it("quotes paths for the shell", async () => {
    const { shellQuote } = await import("../../lib/pins/delivery.js");
    assert.equal(shellQuote("a'b c"), `'a'\\''b c'`);
  });
});
