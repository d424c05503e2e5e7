/**
 * canary-checker's Prometheus metrics, PLAYED: the names, labels and update rules of pkg/metrics/metrics.go
 * (`SetupMetrics`, `Record`) in canary-checker v1.2.0, served in the Prometheus text format (0.0.4) on
 * 127.0.0.1. Without `--additional-check-metric-labels` (the default), the label sets are exactly:
 *
 * - gauge `canary_check` (1 FAILING, 0 passing): key, type, canary_name, canary_namespace, name;
 * - gauge `canary_check_info` and counters `canary_check_count`, `canary_check_success_count`,
 *   `canary_check_failed_count`, `canary_check_invalid_count`, `canary_check_error_count`, histogram
 *   `canary_check_duration` (milliseconds): type, endpoint, canary_name, canary_namespace, owner, severity,
 *   key, name.
 *
 * `key` is the check id (`Canary.GetCheckID`), `name` the check's name, `endpoint` `Canary.GetDescription`.
 * A passing result also adds 0 to `canary_check_failed_count` so that the failure ratio always has both series.
 * Not played: the Go runtime's and process metrics, custom `metrics:` of a check, `canary_check_http_*`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CheckResult } from "./canaryCheckerRules";

/** Who the result belongs to (the Canary's name, namespace, owner and severity, the check's id). */
export interface MetricContext {
  readonly canaryName: string;
  readonly canaryNamespace: string;
  readonly owner: string;
  readonly severity: string;
  readonly key: string;
}

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly help: string;
  readonly type: "gauge" | "counter" | "histogram";
  readonly series: Map<string, { labels: Labels; value: number; buckets?: number[]; sum?: number }>;
}

/** `RequestLatency` buckets (metrics.go). */
export const DURATION_BUCKETS = [5, 10, 25, 50, 200, 500, 1000, 3000, 10000, 30000] as const;

const FAMILIES: Record<string, { help: string; type: Family["type"] }> = {
  canary_check: {
    help: "A gauge representing the canaries success (0) or failure (1)",
    type: "gauge",
  },
  canary_check_count: { help: "The total number of checks", type: "counter" },
  canary_check_duration: {
    help: "A histogram of the response latency in milliseconds.",
    type: "histogram",
  },
  canary_check_error_count: {
    help: "The total number of checks that resulted in error",
    type: "counter",
  },
  canary_check_failed_count: { help: "The total number of failed checks", type: "counter" },
  canary_check_info: { help: "Information about the canary check", type: "gauge" },
  canary_check_invalid_count: { help: "The total number of invalid checks", type: "counter" },
  canary_check_success_count: { help: "The total number of successful checks", type: "counter" },
};

const escape = (v: string): string =>
  v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** Label pairs sorted by name, as client_golang writes them. */
const labelText = (l: Labels): string =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}="${escape(l[k]!)}"`)
    .join(",");

const num = (v: number): string =>
  Number.isFinite(v) ? String(v) : v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";

export class CanaryCheckerMetrics {
  private readonly families = new Map<string, Family>();
  private server: Server | undefined;

  private family(name: string): Family {
    let f = this.families.get(name);
    if (!f) {
      const d = FAMILIES[name]!;
      f = { help: d.help, type: d.type, series: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  private set(name: string, labels: Labels, fn: (v: number) => number): void {
    const f = this.family(name);
    const k = labelText(labels);
    const s = f.series.get(k) ?? { labels, value: 0 };
    s.value = fn(s.value);
    f.series.set(k, s);
  }

  private observe(name: string, labels: Labels, v: number): void {
    const f = this.family(name);
    const k = labelText(labels);
    const s = f.series.get(k) ?? {
      labels,
      value: 0,
      buckets: DURATION_BUCKETS.map(() => 0),
      sum: 0,
    };
    s.value += 1;
    s.sum = (s.sum ?? 0) + v;
    DURATION_BUCKETS.forEach((b, i) => {
      if (v <= b) s.buckets![i]! += 1;
    });
    f.series.set(k, s);
  }

  /** `metrics.Record` for one result. */
  record(ctx: MetricContext, r: CheckResult): void {
    const check: Labels = {
      type: r.type,
      endpoint: r.endpoint,
      canary_name: ctx.canaryName,
      canary_namespace: ctx.canaryNamespace,
      owner: ctx.owner,
      severity: ctx.severity,
      key: ctx.key,
      name: r.check,
    };
    const gauge: Labels = {
      key: ctx.key,
      type: r.type,
      canary_name: ctx.canaryName,
      canary_namespace: ctx.canaryNamespace,
      name: r.check,
    };
    this.set("canary_check_count", check, (v) => v + 1);
    if (r.durationMs > 0) this.observe("canary_check_duration", check, r.durationMs);
    if (r.pass) {
      this.set("canary_check", gauge, () => 0);
      this.set("canary_check_info", check, () => 0);
      this.set("canary_check_success_count", check, (v) => v + 1);
      this.set("canary_check_failed_count", check, (v) => v);
    } else {
      this.set("canary_check", gauge, () => 1);
      this.set("canary_check_info", check, () => 1);
      // Invalid and internal errors are counted apart from failures (mutually exclusive counters).
      this.set(
        r.invalid ? "canary_check_invalid_count" : "canary_check_failed_count",
        check,
        (v) => v + 1,
      );
    }
  }

  /** The current value of one series (tests read what Prometheus should scrape). */
  value(name: string, labels: Labels): number | undefined {
    return this.families.get(name)?.series.get(labelText(labels))?.value;
  }

  /** The Prometheus text exposition format 0.0.4, families sorted by name, series by labels. */
  text(): string {
    const out: string[] = [];
    for (const name of [...this.families.keys()].sort()) {
      const f = this.families.get(name)!;
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const k of [...f.series.keys()].sort()) {
        const s = f.series.get(k)!;
        if (f.type === "histogram") {
          DURATION_BUCKETS.forEach((b, i) => {
            out.push(`${name}_bucket{${k},le="${b}"} ${s.buckets![i]!}`);
          });
          out.push(`${name}_bucket{${k},le="+Inf"} ${s.value}`);
          out.push(`${name}_sum{${k}} ${num(s.sum ?? 0)}`, `${name}_count{${k}} ${s.value}`);
        } else {
          out.push(`${name}{${k}} ${num(s.value)}`);
        }
      }
    }
    return out.join("\n") + "\n";
  }

  /** Serves `/metrics` on 127.0.0.1 (a free port unless given); returns the scrape target `127.0.0.1:<port>`. */
  async serve(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      if (req.url?.split("?")[0] !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(this.text());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    this.server = server;
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
