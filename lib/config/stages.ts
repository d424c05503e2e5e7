/**
 * `promotion-pipeline:pipeline.stages` (issue 21 item 1): the ordered stages, each with its clusters, whether
 * it gates the next, a soak time and promotion windows. Absent, the stages are today's pair, `integration`
 * (the integration clusters) -> `live` (the live clusters), and nothing rendered changes.
 */
import type { ProblemCollector } from "../errors";
import { parseDuration } from "../stages/duration";
import { parseWindow, WindowError, WINDOW_SYNTAX, type PromotionWindow } from "../stages/window";
import { PRERELEASE_RANGE, stageFilter } from "../stages/channel";
import { isRecord, Reader } from "./reader";
import type { ClusterRole, ClusterSpec, StageSpec } from "../types";

/** A stage name: a DNS label that starts with a letter (it becomes a semver pre-release identifier). */
const STAGE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Tag length: X.Y.Z-0.<stage>.N stays far below the 128 characters of an OCI tag. */
const MAX_STAGE_NAME = 40;

const EXAMPLE =
  'stages: [{name: integration, clusters: [integration]}, {name: staging, clusters: [staging], soak: 30m, windows: ["Mon-Fri 09:00-16:00 Europe/Berlin"]}, {name: live, clusters: [live]}]';

/** The stages when none are configured: integration -> live, from the clusters' roles. */
export function defaultStages(clusters: readonly ClusterSpec[]): StageSpec[] {
  const of = (role: ClusterRole): string[] =>
    clusters.filter((c) => c.role === role).map((c) => c.name);
  const stage = (name: string, names: string[], gatesNext: boolean): StageSpec => ({
    name,
    clusters: names,
    gatesNext,
    soak: "0s",
    soakMs: 0,
    windows: [],
  });
  const live = of("live");
  return live.length > 0
    ? [stage("integration", of("integration"), true), stage("live", live, false)]
    : [stage("integration", of("integration"), false)];
}

/** The role a cluster needs in the stage at `index` of `count` stages. */
function roleAt(index: number, count: number): ClusterRole {
  return index === 0 ? "integration" : index === count - 1 ? "live" : "stage";
}

/**
 * Parses the stages and returns them with the clusters, whose intermediate-stage members get their stage's
 * channel (semver and anchored semverFilter, lib/stages/channel.ts). Every problem names the key.
 */
export function parseStages(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  clusters: readonly ClusterSpec[],
): { stages: StageSpec[]; clusters: ClusterSpec[] } {
  const stageClusters = clusters.filter((cl) => cl.role === "stage");
  if (raw === undefined || raw === null) {
    for (const cl of stageClusters)
      c.add(
        `${key.replace(/stages$/, "clusters")}.${cl.name}.role`,
        "stage",
        "needs pipeline.stages: a stage cluster follows the channel of the intermediate stage it is listed in.",
        `add the stages, e.g. ${EXAMPLE}.`,
      );
    return { stages: defaultStages(clusters), clusters: [...clusters] };
  }
  if (!Array.isArray(raw) || raw.length < 2) {
    c.add(
      key,
      raw,
      "must be a list of at least two stages in promotion order (the first takes RCs, the last stable versions).",
      `write e.g. ${EXAMPLE}.`,
    );
    return { stages: defaultStages(clusters), clusters: [...clusters] };
  }
  const byName = new Map(clusters.map((cl) => [cl.name, cl]));
  const seenStage = new Set<string>();
  const placed = new Map<string, string>();
  const stages: StageSpec[] = [];
  raw.forEach((item, i) => {
    const skey = `${key}[${i}]`;
    if (!isRecord(item)) {
      c.add(
        skey,
        item,
        "must be a mapping with name and clusters.",
        `write e.g. {name: staging, clusters: [staging]}.`,
      );
      return;
    }
    const r = new Reader(c, skey, item, ["name", "clusters", "gatesNext", "soak", "windows"]);
    const last = i === raw.length - 1;
    const name = r.string("name", {
      required: true,
      pattern: STAGE_NAME,
      what: "a stage name (lower-case letters, digits and '-', starting with a letter)",
    });
    if (name !== undefined && name.length > MAX_STAGE_NAME)
      c.add(
        r.key("name"),
        name,
        `is longer than ${MAX_STAGE_NAME} characters (it is part of every tag of the stage).`,
        "use a shorter name.",
      );
    if (name !== undefined && seenStage.has(name))
      c.add(
        r.key("name"),
        name,
        "names another stage too; stage names are their tags' channels.",
        "give every stage a unique name.",
      );
    if (name !== undefined) seenStage.add(name);
    const members = r.stringList(
      "clusters",
      [],
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      "cluster names",
    );
    if (members.length === 0)
      c.add(
        r.key("clusters"),
        item.clusters,
        "is empty: a stage without clusters validates nothing.",
        "list the clusters (pipeline.clusters names) of this stage.",
      );
    const want = roleAt(i, raw.length);
    for (const m of members) {
      const cl = byName.get(m);
      if (!cl) {
        c.add(
          r.key("clusters"),
          m,
          "is not a cluster of pipeline.clusters.",
          `declare it under pipeline.clusters, or use one of: ${[...byName.keys()].join(", ")}.`,
        );
        continue;
      }
      if (placed.has(m)) {
        c.add(
          r.key("clusters"),
          m,
          `is already in stage ${placed.get(m)}; every cluster is in exactly one stage.`,
          "list it in one stage only.",
        );
        continue;
      }
      placed.set(m, name ?? `#${i}`);
      if (cl.role !== want)
        c.add(
          `${key.replace(/stages$/, "clusters")}.${m}.role`,
          cl.role,
          `does not fit stage ${name ?? i} (${i === 0 ? "the first stage takes RCs" : last ? "the last stage is the stable channel" : "an intermediate stage follows its own channel"}).`,
          `set role: ${want}, or move the cluster to ${want === "integration" ? "the first" : want === "live" ? "the last" : "an intermediate"} stage.`,
        );
    }
    const gatesNext = r.bool("gatesNext", !last);
    if (last && gatesNext)
      c.add(
        r.key("gatesNext"),
        item.gatesNext,
        "is true on the last stage, which has no next stage.",
        "remove gatesNext from the last stage.",
      );
    if (i === 0 && !gatesNext)
      c.add(
        r.key("gatesNext"),
        item.gatesNext,
        "is false on the first stage: its gate is what validates an RC, so nothing would ever be promoted.",
        "remove gatesNext from the first stage.",
      );
    const soak =
      r.string("soak", { def: "0s", what: "a duration such as 30m, 1h30m or 0s" }) ?? "0s";
    let soakMs = parseDuration(soak);
    if (soakMs === undefined) {
      c.add(
        r.key("soak"),
        soak,
        "is not a duration of hours, minutes and seconds.",
        "write e.g. 30m, 1h30m, 48h or 0s.",
      );
      soakMs = 0;
    }
    if (soakMs > 0 && (last || !gatesNext))
      c.add(
        r.key("soak"),
        soak,
        last
          ? "is set on the last stage: nothing leaves it, so nothing would wait for the soak."
          : "is set on a stage that does not gate the next one (gatesNext: false): nothing waits for it.",
        last
          ? "remove soak from the last stage."
          : "remove soak, or let the stage gate the next one.",
      );
    const windows: PromotionWindow[] = [];
    const rawWindows = item.windows;
    if (rawWindows !== undefined && rawWindows !== null) {
      if (!Array.isArray(rawWindows)) {
        c.add(
          r.key("windows"),
          rawWindows,
          "must be a list of windows.",
          `write e.g. windows: ["Mon-Fri 09:00-16:00 Europe/Berlin"] (${WINDOW_SYNTAX}).`,
        );
      } else {
        rawWindows.forEach((w, k) => {
          if (typeof w !== "string") {
            c.add(`${r.key("windows")}[${k}]`, w, "must be a string.", `write ${WINDOW_SYNTAX}.`);
            return;
          }
          try {
            windows.push(parseWindow(w));
          } catch (e) {
            if (!(e instanceof WindowError)) throw e;
            c.add(
              `${r.key("windows")}[${k}]`,
              w,
              `is not a promotion window: ${e.message}.`,
              `write ${WINDOW_SYNTAX}.`,
            );
          }
        });
      }
      if (i === 0 && Array.isArray(rawWindows) && rawWindows.length > 0)
        c.add(
          r.key("windows"),
          rawWindows,
          "is set on the first stage, which receives builds, not promotions.",
          "remove windows from the first stage; put them on the stage they guard.",
        );
    }
    if (name !== undefined)
      stages.push({ name, clusters: members, gatesNext, soak, soakMs, windows });
  });
  for (const cl of clusters) {
    if (cl.role !== "dev" && !placed.has(cl.name))
      c.add(
        `${key.replace(/stages$/, "clusters")}.${cl.name}`,
        cl.role,
        "is in no stage; every cluster that follows the artifact is in exactly one stage.",
        `add ${cl.name} to the clusters of one stage of ${key}.`,
      );
    if (cl.role === "dev" && placed.has(cl.name))
      c.add(
        key,
        cl.name,
        "lists a dev cluster; dev clusters follow Git, outside the stages.",
        `remove ${cl.name} from the stages.`,
      );
  }
  const stageOf = new Map<string, string>();
  for (const s of stages) for (const m of s.clusters) stageOf.set(m, s.name);
  const out = clusters.map((cl) => {
    const s = stageOf.get(cl.name);
    if (cl.role !== "stage" || s === undefined) return cl;
    return { ...cl, semver: PRERELEASE_RANGE, semverFilter: stageFilter(s) };
  });
  return { stages, clusters: out };
}

/** The stage a cluster is in (undefined for dev clusters). */
export function stageOfCluster(
  stages: readonly StageSpec[],
  cluster: string,
): StageSpec | undefined {
  return stages.find((s) => s.clusters.includes(cluster));
}

/**
 * Whether a cluster's gate dispatches validation events: the clusters of every stage that gates the next
 * (the first stage's, i.e. integration's, always). Live never dispatches.
 */
export function clusterDispatches(stages: readonly StageSpec[], cluster: ClusterSpec): boolean {
  if (cluster.role !== "integration" && cluster.role !== "stage") return false;
  return stageOfCluster(stages, cluster.name)?.gatesNext ?? cluster.role === "integration";
}
