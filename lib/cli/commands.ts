/**
 * The command table of `promotion`. To add a command: write `lib/cli/<name>.ts` exporting `usage`, optional
 * `help`, and `run(argv, io)` (see CommandModule in lib/cli/command.ts), import it here and add one line below.
 */
import * as buildPlan from "./buildPlan";
import * as checkDelivered from "./checkDelivered";
import * as checkRendered from "./checkRendered";
import type { Command } from "./command";
import * as nextVersion from "./next-version";
import * as pins from "./pins";
import * as previewSummary from "./previewSummary";
import * as record from "./record";
import * as rollback from "./rollback";
import * as promote from "./promote";
import * as select from "./select";
import * as stagePlan from "./stagePlan";
import * as stageRecord from "./stageRecord";
import * as stamp from "./stamp";
import * as status from "./status";
import * as trace from "./trace";
import * as validateArtifact from "./validateArtifact";
import * as verify from "./verify";
import * as watch from "./watch";

export const commands: readonly Command[] = [
  {
    name: "select",
    summary: "print the tag Flux selects for a semver constraint (tags on stdin)",
    module: select,
  },
  {
    name: "next-version",
    summary: "print the next X.Y.Z-rc.N (registry tags on stdin)",
    module: nextVersion,
  },
  {
    name: "build-plan",
    summary: "plan an RC build: version and tags to push (registry tags on stdin, or --artifact)",
    module: buildPlan,
  },
  { name: "stamp", summary: "stamp the RC version into the platform content", module: stamp },
  {
    name: "pins",
    summary: "print the registry pin allowlist (Pulumi.yaml, stack pins, registry tags)",
    module: pins,
  },
  {
    name: "preview-summary",
    summary: "summarise `pulumi preview` outputs as a PR comment under GitHub's size limit",
    module: previewSummary,
  },
  {
    name: "check-delivered",
    summary: "compare delivered local files with the hashes the program recorded (drift)",
    module: checkDelivered,
  },
  {
    name: "check-rendered",
    summary: "compare rendered Kubernetes YAML with the inputs in `pulumi stack export` (drift)",
    module: checkRendered,
  },
  {
    name: "status",
    summary:
      "where the pipeline stands: per cluster what it selects, pins, runs; the newest RC's wait",
    module: status,
  },
  {
    name: "trace",
    summary:
      "the journey of one commit: built, integration, validated, stable, live; where it stopped and why",
    module: trace,
  },
  {
    name: "watch",
    summary:
      "the pipeline-stalled watch: alarm on a stalled RC, an expiring pin or an unreadable registry; keeps one issue",
    module: watch,
  },
  {
    name: "verify",
    summary:
      "registry integrity probe: every protected digest and its signatures still pull (manifest, blobs, digests, sizes)",
    module: verify,
  },
  {
    name: "record",
    summary: "record a promotion as a GitHub Deployment to live (the promote workflow's last step)",
    module: record,
  },
  {
    name: "rollback-plan",
    summary:
      "plan rollback_to=X.Y.Z: that version's digest gets the next patch version (no tag moves)",
    module: rollback,
  },
  {
    name: "promote-plan",
    summary: "decide a promotion from a Flux event and the registry (--artifact) or a listing",
    module: promote,
  },
  {
    name: "validate-artifact",
    summary:
      "render the artifact as the gate will and check every object against the clusters' schemas (offline)",
    module: validateArtifact,
  },
  {
    name: "stage-plan",
    summary:
      "decide a promotion between stages (issue 21): a gate's report or the re-plan of soaks and windows",
    module: stagePlan,
  },
  {
    name: "stage-record",
    summary: "close the source stage's soak record after a promotion (override reason included)",
    module: stageRecord,
  },
];
