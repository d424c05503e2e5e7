/**
 * Runs the `run:` steps of a generated workflow job the way a GitHub runner would: bash with
 * `--noprofile --norc -eo pipefail` (the `shell: bash` command line), the env of workflow, job and step
 * merged, `${{ }}` expressions of env and `if:` evaluated, $GITHUB_OUTPUT read back into step outputs,
 * and the event JSON in $GITHUB_EVENT_PATH. `uses:` steps are replaced by the test's own setup (tools on
 * PATH, a workspace holding the checkout). Only the expression forms the generated workflows use are
 * understood; anything else throws, so a new form cannot be silently mis-evaluated.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { runCaptured } from "./capture";

interface RawStep {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface RawJob {
  if?: string;
  env?: Record<string, string>;
  steps: RawStep[];
}
interface RawWorkflow {
  env?: Record<string, string>;
  jobs: Record<string, RawJob>;
}

export interface JobContext {
  /** The checkout: scripts run here. */
  readonly workspace: string;
  readonly eventName: string;
  readonly event: unknown;
  /** GITHUB_SHA, GITHUB_REF_NAME, ... and anything else the runner would set. */
  readonly githubEnv: Readonly<Record<string, string>>;
  /** `secrets.*` */
  readonly secrets: Readonly<Record<string, string>>;
  /** PATH, HOME, DOCKER_CONFIG: the machine the runner is. */
  readonly machineEnv: Readonly<Record<string, string>>;
  readonly actor?: string;
}

export interface StepResult {
  readonly name: string;
  readonly status: "success" | "failure" | "skipped" | "replaced";
  readonly exitCode?: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface JobResult {
  readonly status: "success" | "failure" | "skipped";
  readonly steps: StepResult[];
  readonly outputs: Record<string, Record<string, string>>;
  /** Everything the scripts printed, for assertions and failure messages. */
  readonly log: string;
}

/** Reads `key=value` and `key<<DELIM` blocks as the runner does. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
      out[heredoc[1]!] = body.join("\n");
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`invalid GITHUB_OUTPUT line ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

class Expressions {
  constructor(
    private readonly ctx: JobContext,
    private readonly outputs: Record<string, Record<string, string>>,
    /** Whether a step of the job has failed, for the status functions. */
    private readonly failed: () => boolean = () => false,
  ) {}

  private lookup(path: string): unknown {
    const parts = path.split(".");
    const [root, ...rest] = parts;
    let v: unknown;
    switch (root) {
      case "github": {
        const top: Record<string, unknown> = {
          event_name: this.ctx.eventName,
          event: this.ctx.event,
          actor: this.ctx.actor ?? "promotion-bot",
          token: this.ctx.secrets.GITHUB_TOKEN,
        };
        v = top;
        break;
      }
      case "secrets":
        v = this.ctx.secrets;
        break;
      case "steps":
        v = Object.fromEntries(Object.entries(this.outputs).map(([id, o]) => [id, { outputs: o }]));
        break;
      default:
        throw new Error(
          `workflowRunner: unsupported expression root ${JSON.stringify(root)} in ${path}`,
        );
    }
    for (const p of rest)
      v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
    return v;
  }

  private operand(s: string): unknown {
    const t = s.trim();
    const lit = /^'((?:[^']|'')*)'$/.exec(t);
    if (lit) return lit[1]!.replace(/''/g, "'");
    // GitHub's status functions (cancellation does not happen here).
    if (t === "always()") return true;
    if (t === "success()") return !this.failed();
    if (t === "failure()") return this.failed();
    if (/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(t)) return this.lookup(t);
    throw new Error(`workflowRunner: unsupported expression operand ${JSON.stringify(t)}`);
  }

  /** `a == 'x' || b != 'y'`, `&&`, plain lookups; GitHub's loose string comparison for `==` and `!=`. */
  evaluate(expr: string): unknown {
    const or = expr.split("||");
    if (or.length > 1) return or.some((e) => truthy(this.evaluate(e)));
    const and = expr.split("&&");
    if (and.length > 1) return and.every((e) => truthy(this.evaluate(e)));
    for (const [op, equal] of [
      ["!=", false],
      ["==", true],
    ] as const) {
      const sides = expr.split(op);
      if (sides.length > 2) throw new Error(`workflowRunner: unsupported expression ${expr}`);
      if (sides.length === 2) {
        const [a, b] = sides.map((side) => scalar(this.operand(side)).toLowerCase());
        return (a === b) === equal;
      }
    }
    return this.operand(expr);
  }

  /** Substitutes every `${{ expr }}` in a string (env values). */
  interpolate(s: string): string {
    return s.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => {
      return scalar(this.evaluate(e));
    });
  }

  condition(s: string | undefined): boolean {
    if (s === undefined) return true;
    const inner = /^\$\{\{(.*)\}\}$/.exec(s.trim());
    return truthy(this.evaluate(inner ? inner[1]! : s));
  }
}

/** How an expression value becomes a string: objects as JSON, null/undefined as "". */
function scalar(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== "" && v !== 0;
}

async function runBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(env.RUNNER_TEMP!, `step-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  const r = await runCaptured("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], {
    cwd,
    env,
  });
  return { ...r, code: r.code ?? 1 };
}

/** One job run, step by step, so tests can interleave two runs (races). */
export class JobRun {
  private readonly wf: RawWorkflow;
  private readonly job: RawJob;
  private readonly temp: string;
  private readonly eventPath: string;
  private index = 0;
  private failed = false;
  private skippedJob = false;
  readonly steps: StepResult[] = [];
  readonly outputs: Record<string, Record<string, string>> = {};
  private readonly expr: Expressions;

  constructor(
    workflowText: string,
    jobId: string,
    private readonly ctx: JobContext,
  ) {
    this.wf = parse(workflowText) as RawWorkflow;
    const job = this.wf.jobs[jobId];
    if (!job) throw new Error(`no job ${jobId}`);
    this.job = job;
    this.temp = mkdtempSync(join(tmpdir(), "runner-temp-"));
    this.eventPath = join(this.temp, "event.json");
    writeFileSync(this.eventPath, JSON.stringify(ctx.event));
    this.expr = new Expressions(ctx, this.outputs, () => this.failed);
    this.skippedJob = !this.expr.condition(job.if);
  }

  get done(): boolean {
    return this.skippedJob || this.index >= this.job.steps.length;
  }

  /** Runs the next step; returns its result. */
  async step(): Promise<StepResult> {
    const s = this.job.steps[this.index++]!;
    let result: StepResult;
    // After a failure only a step whose condition calls always() or failure() runs (GitHub's implicit
    // success() otherwise).
    const runsAfterFailure = /\b(always|failure)\(\)/.test(s.if ?? "");
    if ((this.failed && !runsAfterFailure) || !this.expr.condition(s.if)) {
      result = { name: s.name, status: "skipped", stdout: "", stderr: "" };
    } else if (s.uses !== undefined) {
      result = { name: s.name, status: "replaced", stdout: "", stderr: "" };
    } else {
      const env: Record<string, string> = {
        ...this.ctx.machineEnv,
        CI: "true",
        GITHUB_ACTIONS: "true",
        RUNNER_TEMP: this.temp,
        GITHUB_WORKSPACE: this.ctx.workspace,
        GITHUB_EVENT_NAME: this.ctx.eventName,
        GITHUB_EVENT_PATH: this.eventPath,
        GITHUB_OUTPUT: join(this.temp, `output-${this.index}`),
        GITHUB_STEP_SUMMARY: join(this.temp, "summary.md"),
        ...this.ctx.githubEnv,
      };
      for (const scope of [this.wf.env, this.job.env, s.env]) {
        for (const [k, v] of Object.entries(scope ?? {})) env[k] = this.expr.interpolate(String(v));
      }
      writeFileSync(env.GITHUB_OUTPUT!, "");
      const r = await runBash(s.run!, this.ctx.workspace, env);
      if (s.id) this.outputs[s.id] = parseOutputFile(readFileSync(env.GITHUB_OUTPUT!, "utf8"));
      result = {
        name: s.name,
        status: r.code === 0 ? "success" : "failure",
        exitCode: r.code,
        stdout: r.stdout,
        stderr: r.stderr,
      };
      if (r.code !== 0) this.failed = true;
    }
    this.steps.push(result);
    return result;
  }

  /** Runs steps up to and including the one named `name`. */
  async runThrough(name: string): Promise<void> {
    while (!this.done) {
      const r = await this.step();
      if (r.name === name) return;
    }
    throw new Error(`step ${name} not found`);
  }

  async finish(): Promise<JobResult> {
    while (!this.done) await this.step();
    return this.result();
  }

  result(): JobResult {
    return {
      status: this.skippedJob ? "skipped" : this.failed ? "failure" : "success",
      steps: this.steps,
      outputs: this.outputs,
      log: this.steps.map((s) => `--- ${s.name} [${s.status}]\n${s.stdout}${s.stderr}`).join("\n"),
    };
  }
}

export function runJob(workflowText: string, jobId: string, ctx: JobContext): Promise<JobResult> {
  return new JobRun(workflowText, jobId, ctx).finish();
}
