import { strict as assert } from "node:assert";
import { promoteWorkflow } from "../../lib/workflows/pipeline";
import { registryReadEnv } from "../../lib/workflows/registryAccess";
import { readerFromEnv } from "../../lib/cli/registryEnv";
import { exampleConfig } from "./support/config";

const pipelineOf = (over: Record<string, unknown>) =>
  exampleConfig(over, "github-dispatch-token").pipeline;

describe("promote-plan's registry access in the generated workflow", () => {
  it("uses the job token on ghcr.io, the same as the login step", () => {
    assert.deepEqual(registryReadEnv(pipelineOf({})), {
      PROMOTION_REGISTRY_USERNAME: "${{ github.actor }}",
      PROMOTION_REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
    });
  });

  it("uses the configured secrets for another registry", () => {
    const p = pipelineOf({
      registry: "registry.example.org",
      registryCredentials: { usernameSecret: "REG_USER", passwordSecret: "REG_PASS" },
    });
    assert.deepEqual(registryReadEnv(p), {
      PROMOTION_REGISTRY_USERNAME: "${{ secrets.REG_USER }}",
      PROMOTION_REGISTRY_PASSWORD: "${{ secrets.REG_PASS }}",
    });
    const decide = promoteWorkflow(p).jobs.promote!.steps.find((s) => s.id === "plan")!;
    assert.deepEqual(decide.env, registryReadEnv(p));
  });

  it("reads a plain-HTTP registry over http only when registryInsecure is set, and sends no env without a login", () => {
    const p = pipelineOf({
      registry: "registry.example.org",
      registryCredentials: "none",
      registryInsecure: true,
    });
    assert.deepEqual(registryReadEnv(p), { PROMOTION_REGISTRY_SCHEME: "http" });
    const q = pipelineOf({ registry: "registry.example.org", registryCredentials: "none" });
    assert.deepEqual(registryReadEnv(q), {});
    const decide = promoteWorkflow(q).jobs.promote!.steps.find((s) => s.id === "plan")!;
    assert.equal(decide.env, undefined, "an empty env: section is refused by actionlint");
  });
});

describe("PROMOTION_REGISTRY_SCHEME", () => {
  it("defaults to http on loopback and https elsewhere, and can force either", () => {
    assert.equal(readerFromEnv("127.0.0.1:5000", {}).base, "http://127.0.0.1:5000");
    assert.equal(readerFromEnv("registry.example.org", {}).base, "https://registry.example.org");
    assert.equal(
      readerFromEnv("127.0.0.1:5000", { PROMOTION_REGISTRY_SCHEME: "https" }).base,
      "https://127.0.0.1:5000",
    );
    assert.equal(
      readerFromEnv("registry.example.org", { PROMOTION_REGISTRY_SCHEME: "http" }).base,
      "http://registry.example.org",
    );
  });

  it("refuses anything else, naming the variable and the fix", () => {
    assert.throws(
      () => readerFromEnv("registry.example.org", { PROMOTION_REGISTRY_SCHEME: "ftp" }),
      /PROMOTION_REGISTRY_SCHEME="ftp" is not http or https; unset it/,
    );
  });
});
