/**
 * A real Prometheus (Debian's `prometheus` package, installed by scripts/install-tools.sh) for the flux suite:
 * bound to 127.0.0.1 on a free port, its TSDB in a directory of the run, started and stopped by pid through
 * the suite's ProcessGroup. It scrapes the given targets and evaluates the given rule file every
 * `intervalSeconds`; `alerts()` reads /api/v1/alerts (active alerts: pending or firing).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { waitFor } from "./kube";
import { freePort, type ProcessGroup } from "./processes";

export const PROMETHEUS = process.env.PROMETHEUS_BINARY ?? "/usr/bin/prometheus";

export interface PrometheusAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: "pending" | "firing";
  readonly activeAt: string;
  readonly value: string;
}

export interface PrometheusOptions {
  /** Directory of this Prometheus (config, rules, TSDB). */
  readonly dir: string;
  /** Scrape jobs: name -> `127.0.0.1:<port>` targets. */
  readonly targets: Readonly<Record<string, readonly string[]>>;
  /** Rule file contents (YAML). */
  readonly rules: string;
  /** Scrape and evaluation interval (default 2 s). */
  readonly intervalSeconds?: number;
}

export class Prometheus {
  private constructor(readonly url: string) {}

  static async start(procs: ProcessGroup, o: PrometheusOptions): Promise<Prometheus> {
    if (!existsSync(PROMETHEUS)) {
      throw new Error(
        `${PROMETHEUS} is missing: run \`bash scripts/install-tools.sh\` (it installs Debian's prometheus package).`,
      );
    }
    mkdirSync(join(o.dir, "data"), { recursive: true });
    const every = `${o.intervalSeconds ?? 2}s`;
    writeFileSync(join(o.dir, "rules.yml"), o.rules);
    writeFileSync(
      join(o.dir, "prometheus.yml"),
      stringify({
        global: { scrape_interval: every, evaluation_interval: every, scrape_timeout: every },
        rule_files: [join(o.dir, "rules.yml")],
        scrape_configs: Object.entries(o.targets).map(([job, targets]) => ({
          job_name: job,
          static_configs: [{ targets: [...targets] }],
        })),
      }),
    );
    const port = await freePort();
    procs.start("prometheus", PROMETHEUS, [
      `--config.file=${join(o.dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(o.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ]);
    const p = new Prometheus(`http://127.0.0.1:${port}`);
    await waitFor(
      "prometheus /-/ready",
      async () => {
        procs.assertAlive();
        const r = await fetch(`${p.url}/-/ready`).catch(() => undefined);
        return r?.ok ? true : undefined;
      },
      60_000,
      200,
    );
    return p;
  }

  private async api<T>(path: string): Promise<T> {
    const r = await fetch(`${this.url}${path}`);
    const body = (await r.json()) as { status: string; data: T; error?: string };
    if (!r.ok || body.status !== "success") {
      throw new Error(`prometheus ${path}: ${r.status} ${body.error ?? JSON.stringify(body)}`);
    }
    return body.data;
  }

  /** Active alerts (pending or firing). */
  async alerts(): Promise<PrometheusAlert[]> {
    return (await this.api<{ alerts: PrometheusAlert[] }>("/api/v1/alerts")).alerts;
  }

  /** An instant query's vector result. */
  async query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const d = await this.api<{
      result: { metric: Record<string, string>; value: [number, string] }[];
    }>(`/api/v1/query?query=${encodeURIComponent(q)}`);
    return d.result;
  }

  /** The rule groups Prometheus loaded (names of groups and rules). */
  async ruleNames(): Promise<string[]> {
    const d = await this.api<{ groups: { name: string; rules: { name: string }[] }[] }>(
      "/api/v1/rules",
    );
    return d.groups.flatMap((g) => g.rules.map((r) => `${g.name}/${r.name}`));
  }
}
