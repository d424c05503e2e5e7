/** Drift on a real API server, found by `pulumi preview --refresh --expect-no-changes` and undone by `pulumi up`. */
import { strict as assert } from "node:assert";
import { FLUX_NAMESPACE, NOTIFY, SOURCE } from "./support/box";
import { ok } from "../support/projectCopy";
import { withBox } from "./support/useBox";

describe("flux: drift on a real API server", function () {
  const { it } = withBox(this);

  it("a hand-edited OCIRepository ref and a deleted Alert fail `pulumi preview --refresh --expect-no-changes`, and `pulumi up --refresh` restores both", async (b) => {
    const k = b.integration.kube;
    const stack = b.integration.name;
    ok(
      b.project.pulumi("preview", "--refresh", "--expect-no-changes", "--stack", stack),
      "no drift before",
    );
    await k.mergePatch(
      SOURCE.api,
      SOURCE.kind,
      FLUX_NAMESPACE,
      SOURCE.name,
      { spec: { ref: { semver: ">= 0.0.0" } } },
      "kubectl-edit",
    );
    await k.delete(NOTIFY, "Alert", FLUX_NAMESPACE, "validation-success");
    const preview = b.project.pulumi(
      "preview",
      "--refresh",
      "--expect-no-changes",
      "--diff",
      "--stack",
      stack,
    );
    assert.notEqual(preview.code, 0, `drift preview passed:\n${preview.out}`);
    const text = preview.out + preview.err;
    assert.match(text, /validation-success/, "the preview does not name the deleted Alert");
    assert.match(text, /OCIRepository|flux-system/, "the preview does not name the OCIRepository");
    assert.match(text, /semver/, "the preview does not show the edited ref");
    ok(
      b.project.pulumi("up", "--refresh", "--stack", stack, "--yes", "--skip-preview"),
      "pulumi up --refresh",
    );
    const src = await k.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    assert.equal((src.spec?.ref as { semver?: string }).semver, ">= 0.0.0-0");
    assert.ok(
      await k.get(NOTIFY, "Alert", FLUX_NAMESPACE, "validation-success"),
      "Alert not restored",
    );
    ok(
      b.project.pulumi("preview", "--refresh", "--expect-no-changes", "--stack", stack),
      "drift preview after up",
    );
  });
});
