/**
 * The github plugin that scripts/setup-pulumi.sh builds (terraform-provider-github v6.13.0 bridged by
 * pulumi-terraform-bridge, tools/pulumi-resource-github) speaks the names the `@pulumi/github` SDK we depend
 * on sends: the schema comes from the plugin itself, through the engine (`pulumi package get-schema`), and is
 * compared with the SDK's own JavaScript, resource by resource and property by property.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, TOOLCHAIN } from "../support/projectCopy";

const SDK = join(REPO, "node_modules", "@pulumi", "github");
const VERSION = (JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")) as { version: string })
  .version;
const PLUGIN = join(
  TOOLCHAIN,
  "home",
  "plugins",
  `resource-github-v${VERSION}`,
  "pulumi-resource-github",
);

interface Schema {
  name: string;
  version: string;
  config: { variables: Record<string, unknown> };
  provider: { inputProperties: Record<string, unknown> };
  resources: Record<string, { inputProperties?: object; properties?: object }>;
}

/** Each SDK resource's type token and the property names its constructor sends or reads. */
function sdkResources(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of readdirSync(SDK).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(join(SDK, f), "utf8");
    const type = /__pulumiType = ['"](github:[^'"]+)['"]/.exec(text)?.[1];
    if (!type) continue;
    out.set(
      type,
      new Set([...text.matchAll(/resourceInputs\["([A-Za-z0-9]+)"\]/g)].map((m) => m[1]!)),
    );
  }
  return out;
}

describe("e2e: the github plugin built from the Terraform provider speaks the @pulumi/github SDK's names", function () {
  this.timeout(60_000);
  let schema: Schema;

  before(function () {
    assert.ok(existsSync(PLUGIN), `github plugin missing (${PLUGIN}): run scripts/setup-pulumi.sh`);
    const r = spawnSync(
      "bash",
      ["-c", `. scripts/pulumi-env.sh && pulumi package get-schema github@${VERSION}`],
      { cwd: REPO, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(r.status, 0, r.stderr);
    schema = JSON.parse(r.stdout) as Schema;
  });

  it("the plugin reports the SDK's version and package name", function () {
    assert.equal(schema.name, "github");
    assert.equal(schema.version, VERSION);
    const v = spawnSync(PLUGIN, ["-version"], { encoding: "utf8" });
    assert.equal(v.stdout.trim(), VERSION);
  });

  it("RepositoryFile: the token and every property the SDK sends", function () {
    const token = "github:index/repositoryFile:RepositoryFile";
    const r = schema.resources[token];
    assert.ok(r, `${token} missing from the schema`);
    assert.deepEqual(Object.keys(r.inputProperties ?? {}).sort(), [
      "autocreateBranch",
      "autocreateBranchSourceBranch",
      "autocreateBranchSourceSha",
      "branch",
      "commitAuthor",
      "commitEmail",
      "commitMessage",
      "content",
      "file",
      "overwriteOnCreate",
      "repository",
    ]);
    const all = new Set([
      ...Object.keys(r.inputProperties ?? {}),
      ...Object.keys(r.properties ?? {}),
    ]);
    assert.deepEqual([...all].sort(), [...sdkResources().get(token)!].sort());
  });

  it("the provider's configuration: the keys the SDK reads (github:token, github:owner, github:baseUrl, ...)", function () {
    const text = readFileSync(join(SDK, "provider.js"), "utf8");
    const sdkKeys = [
      ...new Set([...text.matchAll(/resourceInputs\["([A-Za-z0-9]+)"\]/g)].map((m) => m[1]!)),
    ];
    assert.ok(
      sdkKeys.includes("token") && sdkKeys.includes("owner") && sdkKeys.includes("baseUrl"),
    );
    assert.deepEqual(Object.keys(schema.provider.inputProperties).sort(), sdkKeys.sort());
    assert.deepEqual(Object.keys(schema.config.variables).sort(), sdkKeys.sort());
  });

  it("every other resource of the SDK: same types, same property names", function () {
    const sdk = sdkResources();
    assert.ok(sdk.size > 50, `SDK resources found: ${sdk.size}`);
    assert.deepEqual(Object.keys(schema.resources).sort(), [...sdk.keys()].sort());
    const differing = [...sdk].filter(([type, names]) => {
      const r = schema.resources[type]!;
      const have = new Set([
        ...Object.keys(r.inputProperties ?? {}),
        ...Object.keys(r.properties ?? {}),
      ]);
      return have.size !== names.size || [...names].some((n) => !have.has(n));
    });
    assert.deepEqual(
      differing.map(([t]) => t),
      [],
    );
  });
});
