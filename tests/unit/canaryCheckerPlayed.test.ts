/**
 * The pure parts of the flux suite's canary-checker player (tests/flux/support/canaryChecker*.ts): its
 * schedule, its checks' judgements, its status writes and metrics, and the PrometheusRule -> rule file
 * converter (checked by Debian's `promtool`). The expected values come from canary-checker's, duty's,
 * robfig/cron's and is-healthy's source as the modules cite it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  AT_LEAST_ONE_EXPR,
  age,
  canarySchedule,
  CheckHistory,
  isSuspended,
  jitterMs,
  judgeHttp,
  judgeKubernetes,
  kubernetesCheckSpec,
  mergePatch,
  NotPlayedError,
  parseGoDuration,
  parseSchedule,
  playedChecks,
  podHealth,
  reportedStatus,
  statusPayload,
  uptimeString,
  type CheckResult,
  type PodLike,
} from "../flux/support/canaryCheckerRules";
import { CanaryCheckerMetrics } from "../flux/support/canaryCheckerMetrics";
import { prometheusRuleFile, RuleFileError } from "../flux/support/prometheusRuleFile";
import {
  builtInChecks,
  canaryAlertRules,
  FLUX_PODS_CHECK,
  KUBERNETES_API_CHECK,
  platformCanary,
} from "../../lib/k8s/canary";

const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): Date =>
  new Date(y, mo - 1, d, h, mi, s, ms);

describe("canary-checker played: schedules (robfig/cron v3 standard parser, duty jobs)", () => {
  it("@every: whole seconds, at least one second, next = t + delay - t's sub-second part", () => {
    const t = at(2026, 12, 4, 10, 0, 0, 400);
    assert.deepEqual(parseSchedule("@every 60s").next(t), at(2026, 12, 4, 10, 1, 0, 0));
    assert.deepEqual(parseSchedule("@every 1m30s").next(t), at(2026, 12, 4, 10, 1, 30, 0));
    assert.deepEqual(parseSchedule("@every 500ms").next(t), at(2026, 12, 4, 10, 0, 1, 0));
    assert.deepEqual(parseSchedule("@every 2.5s").next(t), at(2026, 12, 4, 10, 0, 2, 0));
    assert.equal(parseGoDuration("1h2m3.5s"), 3_723_500);
    assert.throws(() => parseSchedule("@every 60"), /failed to parse duration @every 60/);
  });

  it("five fields: steps, ranges, names, and the day-of-month OR day-of-week rule", () => {
    const t = at(2026, 12, 5, 10, 2, 30); // a Saturday
    assert.deepEqual(parseSchedule("*/5 * * * *").next(t), at(2026, 12, 5, 10, 5));
    assert.deepEqual(parseSchedule("0 9 * * mon-fri").next(t), at(2026, 12, 7, 9, 0));
    // Both day fields restricted: either matches (the 1st, or a Monday).
    assert.deepEqual(parseSchedule("0 0 1 * mon").next(t), at(2026, 12, 7, 0, 0));
    // `*/2` is not a star: with dow restricted too, they are ORed (day 1,3,5,7.. or Sunday).
    assert.deepEqual(parseSchedule("0 0 */2 * sun").next(t), at(2026, 12, 6, 0, 0));
    assert.deepEqual(parseSchedule("@hourly").next(t), at(2026, 12, 5, 11, 0));
    assert.deepEqual(parseSchedule("@weekly").next(t), at(2026, 12, 6, 0, 0));
    assert.deepEqual(parseSchedule("30 2 29 feb *").next(t), at(2028, 2, 29, 2, 30));
    assert.throws(() => parseSchedule("* * * *"), /expected exactly 5 fields, found 4/);
    assert.throws(() => parseSchedule("61 * * * *"), /end of range \(61\) above maximum \(59\)/);
    assert.throws(() => parseSchedule("@fortnightly"), /unrecognized descriptor/);
    assert.throws(() => parseSchedule("TZ=UTC 0 * * * *"), NotPlayedError);
  });

  it("GetSchedule: schedule, else @every <interval>s, else never; @never never runs", () => {
    assert.equal(canarySchedule({ schedule: "@every 60s", interval: 5 })?.spec, "@every 60s");
    assert.equal(canarySchedule({ interval: 30 })?.spec, "@every 30s");
    assert.equal(canarySchedule({}), undefined);
    assert.equal(canarySchedule({ schedule: "@never" }), undefined);
    assert.equal(canarySchedule(platformCanary().spec)?.spec, "@every 60s");
  });

  it("duty's jitter: rand.Intn(10)% of the time to the next activation", () => {
    const s = parseSchedule("@every 60s");
    const t = at(2026, 12, 4, 10, 0, 0, 0);
    assert.equal(
      jitterMs(s, t, () => 0),
      0,
    );
    assert.equal(
      jitterMs(s, t, () => 0.999),
      5400,
    );
    assert.equal(
      jitterMs(s, t, () => 0.5),
      3000,
    );
    // Capped at 15 minutes of interval: a daily schedule jitters at most 9% of 15 minutes.
    assert.equal(
      jitterMs(parseSchedule("@daily"), t, () => 0.999),
      81_000,
    );
  });
});

const NOW = new Date("2026-12-04T12:00:00Z");
function pod(
  name: string,
  o: {
    ready?: boolean;
    phase?: string;
    createdMinutesAgo?: number;
    waiting?: string;
    restarts?: number;
    deleting?: boolean;
  } = {},
): PodLike {
  const created = new Date(NOW.getTime() - (o.createdMinutesAgo ?? 60) * 60_000).toISOString();
  return {
    kind: "Pod",
    metadata: {
      name,
      namespace: "flux-system",
      creationTimestamp: created,
      ...(o.deleting ? { deletionTimestamp: NOW.toISOString() } : {}),
    },
    spec: { containers: [{}] },
    status: {
      phase: o.phase ?? "Running",
      conditions: [
        o.ready === false
          ? {
              type: "Ready",
              status: "False",
              reason: "ContainersNotReady",
              message: "containers with unready status: [manager]",
            }
          : { type: "Ready", status: "True" },
      ],
      containerStatuses: [
        {
          name: "manager",
          restartCount: o.restarts ?? 0,
          state: o.waiting ? { waiting: { reason: o.waiting, message: "back-off" } } : {},
        },
      ],
    },
  };
}

describe("canary-checker played: is-healthy's Pod rules", () => {
  it("Running and Ready is healthy and ready", () => {
    assert.deepEqual(podHealth(pod("a"), NOW), {
      health: "healthy",
      status: "Running",
      ready: true,
      message: " ",
    });
  });

  it("not Ready: unhealthy when older than the start deadline, unknown 'Starting' before it", () => {
    assert.deepEqual(podHealth(pod("a", { ready: false }), NOW), {
      health: "unhealthy",
      status: "Running",
      ready: false,
      message: "ContainersNotReady containers with unready status: [manager]",
    });
    assert.deepEqual(podHealth(pod("a", { ready: false, createdMinutesAgo: 2 }), NOW), {
      health: "unknown",
      status: "Starting",
      ready: false,
      message: "Running ContainersNotReady containers with unready status: [manager]",
    });
  });

  it("a waiting container in back-off, a terminating pod, a completed pod, an unplayed phase", () => {
    const crash = podHealth(
      pod("a", { ready: false, waiting: "CrashLoopBackOff", restarts: 3 }),
      NOW,
    );
    assert.equal(crash.health, "unhealthy");
    assert.equal(crash.status, "CrashLoopBackOff");
    const term = podHealth(pod("a", { deleting: true }), NOW);
    assert.deepEqual([term.status, term.ready, term.health], ["Terminating", false, "unknown"]);
    const done = podHealth(pod("a", { phase: "Succeeded" }), NOW);
    assert.deepEqual([done.status, done.ready, done.health], ["Completed", true, "healthy"]);
    assert.throws(() => podHealth(pod("a", { phase: "Unknown" }), NOW), NotPlayedError);
  });
});

describe("canary-checker played: checks", () => {
  const fluxCheck = kubernetesCheckSpec(builtInChecks().kubernetes![0]!);

  it("the program's kubernetes check is played, with its CEL test; another expression fails loudly", () => {
    assert.equal(fluxCheck.test?.expr, AT_LEAST_ONE_EXPR);
    assert.throws(
      () =>
        kubernetesCheckSpec({
          ...builtInChecks().kubernetes![0]!,
          test: { expr: "dyn(results).all(r, r.status.phase == 'Running')" },
        }),
      (e: Error) =>
        e instanceof NotPlayedError &&
        /the only expression played is \{"expr":"dyn\(results\)\.size\(\) > 0"\}/.test(e.message),
    );
    assert.throws(
      () => kubernetesCheckSpec({ ...builtInChecks().kubernetes![0]!, ignore: ["x-*"] }),
      /field "ignore" is not played/,
    );
    assert.throws(
      () =>
        kubernetesCheckSpec({
          ...builtInChecks().kubernetes![0]!,
          namespaceSelector: { name: "flux-*" },
        }),
      /is a pattern/,
    );
  });

  it("checks run in checker.go's order of types (http before kubernetes), whatever the spec's order", () => {
    const spec = { kubernetes: builtInChecks().kubernetes, http: builtInChecks().http };
    assert.deepEqual(
      playedChecks(spec).map((c) => c.spec.name),
      [KUBERNETES_API_CHECK, FLUX_PODS_CHECK],
    );
    assert.throws(() => playedChecks({ ...spec, tcp: [{ name: "x" }] }), /"tcp" is not played/);
    // The CRD defaults spec.replicas to 1: the stored Canary always has it.
    assert.equal(playedChecks({ ...spec, replicas: 1 }).length, 2);
    assert.equal(isSuspended({ metadata: {}, spec: { replicas: 0 } }), true);
    assert.equal(isSuspended({ metadata: { annotations: { suspend: "true" } }, spec: {} }), true);
    assert.equal(isSuspended({ metadata: {}, spec: { replicas: 1 } }), false);
  });

  it("kubernetes: every pod ready passes; a not-ready pod fails twice (healthy, ready); zero pods fail the test", () => {
    const ok = judgeKubernetes(fluxCheck, { pods: [pod("a"), pod("b")] }, NOW, 7);
    assert.deepEqual([ok.pass, ok.error, ok.endpoint], [true, "", "Pod//flux-system"]);
    const one = judgeKubernetes(
      fluxCheck,
      { pods: [pod("a"), pod("b", { ready: false })] },
      NOW,
      7,
    );
    assert.equal(one.pass, false);
    assert.equal(
      one.error,
      "Pod/flux-system/b is not healthy (health: unhealthy, status: Running): ContainersNotReady containers with unready status: [manager]\n" +
        ", Pod/flux-system/b is not ready (status: Running): ContainersNotReady containers with unready status: [manager]\n",
    );
    const none = judgeKubernetes(fluxCheck, { pods: [] }, NOW, 7);
    assert.deepEqual([none.pass, none.error], [false, "test failed"]);
    const withoutTest = judgeKubernetes({ ...fluxCheck, test: undefined }, { pods: [] }, NOW, 7);
    assert.equal(withoutTest.error, "no resources found");
    const broken = judgeKubernetes(
      fluxCheck,
      { error: "failed to get resources (x): boom" },
      NOW,
      7,
    );
    assert.equal(broken.error, "failed to get resources (x): boom, test failed");
  });

  it("http: responseCodes [200, 401]; without codes 2xx; the client's error as is", () => {
    const c = {
      name: "kubernetes-api",
      url: "https://kubernetes.default.svc/healthz",
      responseCodes: [200, 401],
    };
    const text = { contentType: "text/plain", body: "ok" };
    assert.equal(judgeHttp(c, { status: 401, ...text }, 3).pass, true);
    assert.equal(
      judgeHttp(c, { status: 500, ...text }, 3).error,
      "expected 500 to be in [200 401]",
    );
    assert.equal(
      judgeHttp({ ...c, responseCodes: undefined }, { status: 401, ...text }, 3).error,
      "expected 401 to be 200..299",
    );
    const e = judgeHttp(c, { error: 'Get "https://kubernetes.default.svc/healthz": x509' }, 3);
    assert.deepEqual([e.pass, e.endpoint], [false, "https://kubernetes.default.svc/healthz"]);
    assert.equal(
      judgeHttp(c, { status: 200, contentType: "application/json", body: "{" }, 3).pass,
      false,
    );
  });
});

const result = (check: string, pass: boolean, error = ""): CheckResult => ({
  check,
  type: check === KUBERNETES_API_CHECK ? "http" : "kubernetes",
  endpoint: check,
  pass,
  invalid: false,
  message: "",
  error,
  durationMs: 12,
});

describe("canary-checker played: status (UpdateCanaryStatusAndEvent, Report)", () => {
  const ids = { [KUBERNETES_API_CHECK]: "id-api", [FLUX_PODS_CHECK]: "id-pods" };

  it("status is the LAST result; errorMessage is 'first, (N more)'; transitions only on change", () => {
    const h = new CheckHistory();
    const t1 = new Date("2026-12-04T12:00:00.700Z");
    const p1 = statusPayload(
      [result(KUBERNETES_API_CHECK, false, "e1"), result(FLUX_PODS_CHECK, true)],
      ids,
      h,
      t1,
    )!;
    assert.equal(p1.status, "Passed");
    assert.equal(p1.errorMessage, "e1");
    assert.equal(p1.lastTransitionedTime, "2026-12-04T12:00:00Z");
    assert.deepEqual(p1.checkStatus, {
      "id-api": { uptime1h: "0/1 0%", lastTransitionedTime: "2026-12-04T12:00:00Z" },
      "id-pods": { uptime1h: "1/1 (100.0%)", lastTransitionedTime: "2026-12-04T12:00:00Z" },
    });
    assert.equal(p1.uptime, "1/2 (50.0%)");
    assert.equal(p1.latency, "12ms");
    const p2 = statusPayload(
      [result(KUBERNETES_API_CHECK, false, "e1"), result(FLUX_PODS_CHECK, false, "e2")],
      ids,
      h,
      new Date("2026-12-04T12:01:00Z"),
    )!;
    assert.equal(p2.status, "Failed");
    assert.equal(p2.errorMessage, "e1, (1 more)");
    assert.deepEqual(p2.checkStatus["id-api"], { uptime1h: "0/2 0%" });
    assert.equal(p2.checkStatus["id-pods"]?.lastTransitionedTime, "2026-12-04T12:01:00Z");
    assert.equal(statusPayload([], ids, h, t1), undefined);
  });

  it("Report: lastCheck to the second, errorMessage removed when none, the patch nulls what went away", () => {
    const h = new CheckHistory();
    const before = {
      checks: ids,
      observedGeneration: 2,
      errorMessage: "old",
      message: "old message",
      checkStatus: {
        "id-api": { uptime1h: "0/1 0%", lastTransitionedTime: "2026-12-04T11:00:00Z" },
      },
    };
    const p = statusPayload([result(KUBERNETES_API_CHECK, true)], ids, h, NOW)!;
    const after = reportedStatus(before, p, new Date("2026-12-04T12:00:05.999Z"));
    assert.equal(after.lastCheck, "2026-12-04T12:00:05Z");
    assert.equal(after.errorMessage, undefined);
    assert.equal(after.observedGeneration, 2);
    assert.deepEqual(mergePatch(before, after), {
      errorMessage: null,
      message: null,
      checkStatus: {
        "id-api": { uptime1h: "1/1 (100.0%)", lastTransitionedTime: "2026-12-04T12:00:00Z" },
      },
      latency1h: "12ms",
      uptime1h: "1/1 (100.0%)",
      lastTransitionedTime: "2026-12-04T12:00:00Z",
      lastCheck: "2026-12-04T12:00:05Z",
      status: "Passed",
    });
  });

  it("merge patch: removed keys null, nested objects recurse, arrays replaced, no-op is {}", () => {
    assert.deepEqual(
      mergePatch({ a: 1, b: { c: 1, d: 2 }, e: [1] }, { b: { c: 1 }, e: [2], f: 3 }),
      {
        a: null,
        b: { d: null },
        e: [2],
        f: 3,
      },
    );
    assert.deepEqual(mergePatch({ a: { b: 1 } }, { a: { b: 1 } }), {});
  });

  it("Uptime.String and Age", () => {
    assert.equal(uptimeString(0, 0), "");
    assert.equal(uptimeString(0, 3), "0/3 0%");
    assert.equal(uptimeString(2, 1), "2/3 (66.7%)");
    assert.deepEqual(
      [0, 12, 999, 1000, 119_000, 150_000, 600_000, 3 * 3_600_000 + 60_000].map(age),
      ["0ms", "12ms", "999ms", "1s", "119s", "2m30s", "10m", "3h1m"],
    );
  });
});

describe("canary-checker played: metrics (pkg/metrics/metrics.go Record)", () => {
  const ctx = {
    canaryName: "platform-validation",
    canaryNamespace: "monitoring",
    owner: "",
    severity: "",
    key: "id-pods",
  };
  const gauge = {
    key: "id-pods",
    type: "kubernetes",
    canary_name: "platform-validation",
    canary_namespace: "monitoring",
    name: FLUX_PODS_CHECK,
  };
  const counters = {
    type: "kubernetes",
    endpoint: "Pod//flux-system",
    canary_name: "platform-validation",
    canary_namespace: "monitoring",
    owner: "",
    severity: "",
    key: "id-pods",
    name: FLUX_PODS_CHECK,
  };
  const r = (pass: boolean): CheckResult => ({
    ...result(FLUX_PODS_CHECK, pass),
    endpoint: "Pod//flux-system",
  });

  it("canary_check is 1 while failing and 0 while passing; the counters count; failed_count exists at 0", () => {
    const m = new CanaryCheckerMetrics();
    m.record(ctx, r(true));
    assert.equal(m.value("canary_check", gauge), 0);
    assert.equal(m.value("canary_check_failed_count", counters), 0);
    m.record(ctx, r(false));
    m.record(ctx, r(false));
    assert.equal(m.value("canary_check", gauge), 1);
    assert.equal(m.value("canary_check_count", counters), 3);
    assert.equal(m.value("canary_check_success_count", counters), 1);
    assert.equal(m.value("canary_check_failed_count", counters), 2);
    const text = m.text();
    assert.match(
      text,
      /^canary_check\{canary_name="platform-validation",canary_namespace="monitoring",key="id-pods",name="flux-pods-healthy",type="kubernetes"\} 1$/m,
    );
    assert.match(text, /^# TYPE canary_check_count counter$/m);
    assert.match(
      text,
      /^canary_check_count\{canary_name="platform-validation",canary_namespace="monitoring",endpoint="Pod\/\/flux-system",key="id-pods",name="flux-pods-healthy",owner="",severity="",type="kubernetes"\} 3$/m,
    );
    assert.match(text, /^canary_check_duration_bucket\{.*le="25"\} 3$/m);
    // Exactly the label names of the source, no `exported_namespace`.
    for (const line of text.split("\n").filter((l) => l.startsWith("canary_check{"))) {
      const names = [...line.matchAll(/(\w+)="/g)].map((x) => x[1]).sort();
      assert.deepEqual(names, ["canary_name", "canary_namespace", "key", "name", "type"]);
    }
  });
});

describe("PrometheusRule -> Prometheus rule file", () => {
  it("converts the program's rules unchanged (2m kept), and promtool accepts the file", () => {
    const rule = canaryAlertRules();
    const text = prometheusRuleFile(rule.spec);
    assert.match(text, /^# Generated by tests\/flux\/support\/prometheusRuleFile\.ts/);
    const parsed = parse(text) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    assert.deepEqual(parsed, rule.spec);
    const failure = parsed.groups[0]!.rules.find((r) => r.alert === "CanaryCheckFailure")!;
    assert.equal(failure.for, "2m");
    const dir = mkdtempSync(join(tmpdir(), "rules-"));
    try {
      const file = join(dir, "rules.yml");
      writeFileSync(file, text);
      let out: string;
      try {
        out = execFileSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      } catch (e) {
        const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
        if (err.code === "ENOENT") {
          throw new Error(
            "promtool is missing: run `bash scripts/install-tools.sh` (Debian's prometheus)",
          );
        }
        throw new Error(`promtool rejected the rule file: ${err.stdout ?? ""}${err.stderr ?? ""}`);
      }
      assert.match(out, /SUCCESS: 3 rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the test knob replaces `for:` of named alerts only, and refuses an alert the rules lack", () => {
    const spec = canaryAlertRules().spec;
    const parsed = parse(
      prometheusRuleFile(spec, { forOverrides: { CanaryCheckFailure: "20s" } }),
    ) as {
      groups: { rules: { alert: string; for: string }[] }[];
    };
    assert.deepEqual(
      parsed.groups[0]!.rules.map((r) => [r.alert, r.for]),
      [
        ["CanaryCheckFailure", "20s"],
        ["CanaryCheckHighFailureRate", "5m"],
        ["CanaryNotReporting", "5m"],
      ],
    );
    assert.throws(
      () => prometheusRuleFile(spec, { forOverrides: { CanaryDown: "1m" } }),
      /forOverrides names alert\(s\) the PrometheusRule does not have: CanaryDown/,
    );
  });

  it("drops the Thanos-only partial_response_strategy, refuses unknown fields, is deterministic", () => {
    const spec = {
      groups: [
        {
          name: "g",
          partial_response_strategy: "warn",
          rules: [{ alert: "A", expr: "up == 0", labels: { severity: "x" } }],
        },
      ],
    };
    assert.equal(prometheusRuleFile(spec), prometheusRuleFile(structuredClone(spec)));
    assert.doesNotMatch(prometheusRuleFile(spec), /partial_response_strategy/);
    assert.throws(
      () =>
        prometheusRuleFile({
          groups: [{ name: "g", rules: [{ alert: "A", expr: "1", severity: "x" }] }],
        }),
      (e: Error) =>
        e instanceof RuleFileError &&
        /field "severity" is not a Prometheus rule field/.test(e.message),
    );
    assert.throws(() => prometheusRuleFile({ groups: [] }), /non-empty list/);
    assert.throws(
      () => prometheusRuleFile({ groups: [{ name: "g", rules: [{ expr: "1" }] }] }),
      /exactly one of alert and record/,
    );
  });
});
