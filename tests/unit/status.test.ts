import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gateOf, observationOf } from "../../lib/kube/observe";
import { kubeTarget, KubeError } from "../../lib/kube/client";
import { createdOf } from "../../lib/registry/manifest";
import { RegistryError } from "../../lib/registry/types";
import {
  computeStatus,
  formatStatus,
  pinTimeLeft,
  type StatusInput,
} from "../../lib/status/status";
import { runWith } from "../../lib/cli/status";
import { buildHistory, fakeDigest, tagMap } from "../support/history";
import { captureIo } from "./support/io";
import { examplePolicy, writePolicy } from "./support/policy";
import { integrationAndLive } from "../support/clusters";

const NOW = new Date("2026-12-01T12:00:00Z");
const clusters = integrationAndLive();

/** 0.0.1 and 0.0.2 released (3 RCs each), 2 RCs of 0.0.3 pending. */
function history(pending = 2): Map<string, string> {
  return tagMap(buildHistory({ releases: 2, rcsPerRelease: 3, pending }));
}

function input(over: Partial<StatusInput> = {}): StatusInput {
  const tags = over.tags ?? history();
  return {
    registry: "ghcr.io",
    repository: "example-org/platform/platform",
    clusters,
    tags,
    created: new Map([[tags.get("0.0.3-rc.2") ?? "", new Date("2026-11-30T06:00:00Z")]]),
    now: NOW,
    ...over,
  };
}

describe("status (pure)", () => {
  it("per cluster: what the constraint selects now, by Flux's model", () => {
    const s = computeStatus(input());
    const [integ, live] = s.clusters;
    assert.equal(integ!.selects?.tag, "0.0.3-rc.2");
    assert.equal(integ!.selects?.pinned, false);
    assert.equal(live!.selects?.tag, "0.0.2");
    assert.equal(live!.selects?.digest, history().get("0.0.2"));
    assert.equal(s.newestStable?.tag, "0.0.2");
  });

  it("the newest RC waits since its build time; hours are from the manifest's created annotation", () => {
    const s = computeStatus(input());
    assert.equal(s.newestRc?.tag, "0.0.3-rc.2");
    assert.equal(s.newestRc?.waiting, true);
    assert.equal(s.newestRc?.waitingHours, 30);
    assert.equal(s.newestRc?.created, "2026-11-30T06:00:00.000Z");
    assert.match(
      formatStatus(s),
      /newest RC {6}0\.0\.3-rc\.2 {2}sha256:[0-9a-f]{12} {2}built 2026-11-30T06:00:00\.000Z {2}waiting for promotion for 30h 0m/,
    );
  });

  it("a promoted newest RC does not wait", () => {
    const s = computeStatus(input({ tags: history(0) }));
    assert.equal(s.newestRc?.tag, "0.0.2-rc.3");
    assert.equal(s.newestRc?.promotedAs, "0.0.2");
    assert.equal(s.newestRc?.waiting, false);
    assert.equal(s.newestRc?.waitingHours, undefined);
  });

  it("an unknown build time leaves the wait unknown, not zero", () => {
    const s = computeStatus(input({ created: new Map() }));
    assert.equal(s.newestRc?.waiting, true);
    assert.equal(s.newestRc?.waitingHours, undefined);
    assert.match(formatStatus(s), /build time unknown {2}waiting for promotion\n/);
  });

  it("a pin replaces the selection, with reason and days to expiry; the constraint's choice is kept", () => {
    const s = computeStatus(
      input({
        clusters: [
          clusters[0]!,
          {
            ...clusters[1]!,
            pin: { tag: "0.0.1", reason: "INC-7: 0.0.2 breaks ingress", expires: "2026-12-03" },
          },
        ],
      }),
    );
    const live = s.clusters[1]!;
    assert.deepEqual(live.selects, { tag: "0.0.1", digest: history().get("0.0.1"), pinned: true });
    assert.equal(live.semverSelects?.tag, "0.0.2");
    assert.equal(live.pin?.daysLeft, 2);
    assert.equal(live.pin?.hoursLeft, 60);
    const text = formatStatus(s);
    assert.match(
      text,
      /live +live +>= 0\.0\.0 +0\.0\.1 \(pinned\) +sha256:[0-9a-f]{12} +0\.0\.1 until 2026-12-03 \(2d left\)/,
    );
    assert.match(
      text,
      /live: pinned to 0\.0\.1: INC-7: 0\.0\.2 breaks ingress; without the pin it would select 0\.0\.2/,
    );
  });

  it("pin time: the pin holds through its expiry day (UTC)", () => {
    assert.deepEqual(pinTimeLeft("2026-12-01", NOW), { daysLeft: 0, hoursLeft: 12 });
    assert.deepEqual(pinTimeLeft("2026-11-30", NOW), { daysLeft: -1, hoursLeft: -12 });
  });

  it("selects vs runs: agreeing cluster is not flagged; a different digest or an unready gate is", () => {
    const tags = history();
    const rc = `0.0.3-rc.2@${tags.get("0.0.3-rc.2")}`;
    const ok = computeStatus(
      input({
        observed: new Map([
          ["integration", { sourceRevision: rc, gate: { ready: "True", lastAppliedRevision: rc } }],
        ]),
      }),
    );
    assert.equal(ok.clusters[0]!.mismatch, undefined);
    assert.equal(ok.clusters[1]!.runs, undefined);
    const old = `0.0.3-rc.1@${tags.get("0.0.3-rc.1")}`;
    const bad = computeStatus(
      input({
        observed: new Map([
          [
            "integration",
            {
              sourceRevision: rc,
              gate: {
                ready: "False",
                reason: "HealthCheckFailed",
                message: "Canary not green",
                lastAppliedRevision: old,
              },
            },
          ],
          ["live", { error: "GET https://live:6443/...: connect ECONNREFUSED" }],
        ]),
      }),
    );
    assert.match(
      bad.clusters[0]!.mismatch!,
      /the gate last applied 0\.0\.3-rc\.1@.*not the source's 0\.0\.3-rc\.2@/,
    );
    assert.match(
      bad.clusters[0]!.mismatch!,
      /the gate is not Ready \(False, HealthCheckFailed: Canary not green\)/,
    );
    assert.match(bad.clusters[1]!.mismatch!, /cluster not read: .*ECONNREFUSED/);
    const drifted = computeStatus(
      input({
        observed: new Map([
          ["live", { sourceRevision: old, gate: { ready: "True", lastAppliedRevision: old } }],
        ]),
      }),
    );
    assert.match(
      drifted.clusters[1]!.mismatch!,
      /selects 0\.0\.2 \(sha256:[0-9a-f]{64}\) but the source has 0\.0\.3-rc\.1@/,
    );
    assert.match(formatStatus(drifted), /0\.0\.3-rc\.1, gate Ready=True {2}MISMATCH/);
  });

  it("a constraint that selects nothing says so", () => {
    const s = computeStatus(input({ tags: new Map([["0.0.1-rc.1", fakeDigest("x")]]) }));
    assert.equal(s.clusters[1]!.selects, undefined);
    assert.match(s.clusters[1]!.selectProblem!, /no tag matches ">= 0\.0\.0"/);
    assert.equal(s.newestStable, undefined);
  });
});

describe("cluster observation (pure)", () => {
  it("reads the source revision and the gate's Ready condition and revisions", () => {
    const o = observationOf(
      { status: { artifact: { revision: "0.0.2@sha256:aa" } } },
      {
        status: {
          lastAppliedRevision: "0.0.2@sha256:aa",
          lastAttemptedRevision: "0.0.2@sha256:aa",
          conditions: [
            { type: "Healthy", status: "True" },
            {
              type: "Ready",
              status: "False",
              reason: "HealthCheckFailed",
              message:
                "timeout waiting for: [Canary/monitoring/platform-validation status: 'InProgress']",
            },
          ],
        },
      },
    );
    assert.deepEqual(o, {
      sourceRevision: "0.0.2@sha256:aa",
      verification: { mode: "none", state: "off" },
      gate: {
        ready: "False",
        reason: "HealthCheckFailed",
        message:
          "timeout waiting for: [Canary/monitoring/platform-validation status: 'InProgress']",
        lastAppliedRevision: "0.0.2@sha256:aa",
        lastAttemptedRevision: "0.0.2@sha256:aa",
      },
    });
    assert.deepEqual(gateOf({}), { ready: "Unknown" });
    assert.deepEqual(observationOf(undefined, undefined), {});
  });

  it("kubeconfig: server, CA, token; exec plugins refused with the fix", () => {
    const cfg = (user: string) =>
      `apiVersion: v1\nkind: Config\ncurrent-context: live\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443/\n    certificate-authority-data: ${Buffer.from("CA").toString("base64")}\ncontexts:\n- name: live\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user:\n${user}\n`;
    const t = kubeTarget(cfg("    token: abc"), "/k");
    assert.equal(t.server, "https://127.0.0.1:6443");
    assert.equal(t.token, "abc");
    assert.equal(t.ca?.toString(), "CA");
    assert.throws(
      () => kubeTarget(cfg("    exec: {command: aws}"), "/k"),
      (e: unknown) =>
        e instanceof KubeError &&
        /exec plugin .* use a kubeconfig with a bearer token/.test(e.message),
    );
    assert.throws(
      () => kubeTarget(cfg("    token: abc"), "/k", "nope"),
      /\/k: no context named "nope"/,
    );
  });

  it("created annotation: RFC 3339 only", () => {
    assert.equal(
      createdOf({
        annotations: { "org.opencontainers.image.created": "2026-11-30T06:00:00Z" },
      })?.toISOString(),
      "2026-11-30T06:00:00.000Z",
    );
    assert.equal(
      createdOf({ annotations: { "org.opencontainers.image.created": "yesterday" } }),
      undefined,
    );
    assert.equal(createdOf({}), undefined);
  });
});

describe("promotion status (CLI, registry injected)", () => {
  const dir = mkdtempSync(join(tmpdir(), "status-cli-"));
  const policyFile = writePolicy(dir, examplePolicy(clusters));
  const io = () => captureIo();
  const tags = history();
  const fake =
    (fail = false) =>
    () => ({
      listTags: () =>
        fail
          ? Promise.reject(new RegistryError("ghcr.io", "list tags", "HTTP 503"))
          : Promise.resolve([...tags.keys()]),
      digestOf: (_: string, t: string) => Promise.resolve(tags.get(t)!),
      manifest: () =>
        Promise.resolve({
          manifest: { annotations: { "org.opencontainers.image.created": "2026-11-30T06:00:00Z" } },
        }),
    });

  it("--output json: the whole report", async () => {
    const { out, io: cio } = io();
    const code = await runWith(
      ["--policy", policyFile, "--output", "json", "--now", "2026-12-01T12:00:00Z"],
      cio,
      { registry: fake() },
    );
    assert.equal(code, 0, out.stderr);
    const j = JSON.parse(out.stdout) as {
      newestRc: { waitingHours: number };
      clusters: { selects: { tag: string } }[];
    };
    assert.equal(j.newestRc.waitingHours, 30);
    assert.deepEqual(
      j.clusters.map((c) => c.selects.tag),
      ["0.0.3-rc.2", "0.0.2"],
    );
  });

  it("an unreadable registry prints nothing and exits 1", async () => {
    const { out, io: cio } = io();
    assert.equal(await runWith(["--policy", policyFile], cio, { registry: fake(true) }), 1);
    assert.equal(out.stdout, "");
    assert.match(out.stderr, /registry ghcr\.io: list tags: HTTP 503/);
  });

  it("--kubeconfig for an unknown cluster is a usage error naming the known ones", async () => {
    const { io: cio } = io();
    await assert.rejects(
      runWith(["--policy", policyFile, "--kubeconfig", "prod=/x"], cio, { registry: fake() }),
      /--kubeconfig prod=\/x: no cluster "prod" in the pipeline \(known: integration, live\)/,
    );
  });
});
