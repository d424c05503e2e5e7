/**
 * `promotion validate-artifact` (issue 20 item 5): the artifact is rendered as kustomize-controller renders it
 * and every object is checked against the shipped schema set (schemas/artifact-schemas.json), offline.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { renderArtifact } from "../../lib/artifact/render";
import {
  formatProblem,
  validateObjects,
  type RenderedObject,
  type SchemaSet,
} from "../../lib/artifact/schemaCheck";
import { run } from "../../lib/cli/validateArtifact";
import { validateWorkflow } from "../../lib/workflows/artifactCheck";
import { buildWorkflow } from "../../lib/workflows/pipeline";
import { canaryAlertRules, canaryManifest, platformCanary } from "../../lib/k8s/canary";
import { stampFiles } from "../../lib/promotion/stamp";
import { tool } from "../support/tools";
import { exampleConfig } from "./support/config";

const ROOT = join(__dirname, "..", "..");
const SCHEMAS = join(ROOT, "schemas", "artifact-schemas.json");
const set = JSON.parse(readFileSync(SCHEMAS, "utf8")) as SchemaSet;

const configMap = (data: unknown) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "flux-system" },
  data,
});

const deployment = (container: Record<string, unknown> = {}, replicas: unknown = 2) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "apps", labels: { app: "web" } },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          {
            name: "web",
            image: "nginx:1.29",
            ports: [{ containerPort: 8080, name: "http" }],
            resources: { requests: { cpu: "100m", memory: 64 } },
            readinessProbe: { httpGet: { path: "/", port: "http" } },
            ...container,
          },
        ],
      },
    },
  },
});

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "apps" },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] },
};

const check = (objects: RenderedObject[]): string[] =>
  validateObjects(objects, set).map(formatProblem);

/** A content directory from `{path: text}`. */
function contentDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "artifact-check-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

const yamlDocs = (...objects: unknown[]): string =>
  objects.map((o) => stringify(o, { version: "1.1" })).join("---\n");

function cli(argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const code = run(argv, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    stdin: () => Promise.resolve(""),
  });
  return { code, stdout, stderr };
}

/** The CustomResourceDefinition of example.com/v1 Widget (namespaced), with this schema. */
function widgetCrd(openAPIV3Schema: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { kind: "Widget", plural: "widgets" },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema } }],
    },
  };
}

describe("artifact check: schemas", () => {
  it("the shipped schema set is Kubernetes v1.34.3 with the clusters' CRDs", () => {
    assert.equal(set.kubernetes, "v1.34.3");
    for (const k of [
      "v1|ConfigMap",
      "apps/v1|Deployment",
      "v1|Service",
      "batch/v1|CronJob",
      "networking.k8s.io/v1|Ingress",
      "source.toolkit.fluxcd.io/v1|OCIRepository",
      "kustomize.toolkit.fluxcd.io/v1|Kustomization",
      "notification.toolkit.fluxcd.io/v1beta3|Alert",
      "canaries.flanksource.com/v1|Canary",
      "monitoring.coreos.com/v1|PrometheusRule",
    ])
      assert.ok(set.kinds[k], k);
    // Beta APIs are off by default in 1.34, subresources are not objects.
    assert.equal(set.kinds["policy/v1beta1|PodDisruptionBudget"], undefined);
    assert.equal(set.kinds["policy/v1|Eviction"], undefined);
    assert.equal(
      set.kinds["source.toolkit.fluxcd.io/v1|OCIRepository"]!.source,
      "fluxcd/source-controller v1.9.3",
    );
  });

  it("a ConfigMap with a list where a string belongs names the file, the object and the field", () => {
    assert.deepEqual(
      check([{ file: "kubernetes/app/config.yaml", object: configMap({ mode: ["a", "b"] }) }]),
      [
        "kubernetes/app/config.yaml: ConfigMap flux-system/settings: .data.mode: must be string, got array",
      ],
    );
    assert.deepEqual(
      check([{ file: "k/c.yaml", object: configMap({ "app.properties": 3, ok: "x" }) }]),
      [
        'k/c.yaml: ConfigMap flux-system/settings: .data["app.properties"]: must be string, got integer',
      ],
    );
  });

  it("a Deployment with a bad field type, an unknown field, a missing required field", () => {
    assert.deepEqual(check([{ file: "d.yaml", object: deployment({}, "2") }]), [
      "d.yaml: Deployment apps/web: .spec.replicas: must be integer, got string",
    ]);
    assert.deepEqual(
      check([{ file: "d.yaml", object: deployment({ imagePullPolicy: ["Always"] }) }]),
      [
        "d.yaml: Deployment apps/web: .spec.template.spec.containers[0].imagePullPolicy: must be string, got array",
      ],
    );
    // Server-side apply refuses a field the schema does not declare (fluxcd/kustomize-controller#1035).
    assert.deepEqual(
      check([{ file: "d.yaml", object: deployment({ resourcez: { limits: {} } }) }]),
      [
        "d.yaml: Deployment apps/web: .spec.template.spec.containers[0].resourcez: field not declared in schema (the gate's server-side apply refuses it)",
      ],
    );
    const noImageName = deployment();
    delete (noImageName.spec.template.spec.containers[0] as Record<string, unknown>).name;
    assert.deepEqual(check([{ file: "d.yaml", object: noImageName }]), [
      "d.yaml: Deployment apps/web: .spec.template.spec.containers[0].name: required field is missing",
    ]);
    // Quantity and IntOrString take both forms; an object is neither.
    assert.deepEqual(
      check([{ file: "d.yaml", object: deployment({ resources: { limits: { cpu: { n: 1 } } } }) }]),
      [
        "d.yaml: Deployment apps/web: .spec.template.spec.containers[0].resources.limits.cpu: must be string or number, got object",
      ],
    );
  });

  it("a valid Deployment, Service, ConfigMap, the platform Canary, the stamp and the canary's PrometheusRule pass", () => {
    const canary = platformCanary({});
    const stamp = stampFiles({
      version: "1.2.3-rc.4",
      revision: `main@sha1:${"a".repeat(40)}`,
      namespace: "flux-system",
      existing: [],
    });
    const objects: RenderedObject[] = [
      { file: "d.yaml", object: deployment() },
      { file: "s.yaml", object: service },
      { file: "c.yaml", object: configMap({ mode: "fast" }) },
      { file: "canary.yaml", object: canary },
      { file: "rules.yaml", object: canaryAlertRules({}) },
      ...stamp.map((f) => ({
        file: f.path,
        object: JSON.parse(JSON.stringify(parseYaml(f.content))) as unknown,
      })),
    ];
    assert.deepEqual(check(objects), []);
    // The delivered Canary manifest text, parsed as the controller would.
    assert.deepEqual(
      check([{ file: "canary.yaml", object: parseYaml(canaryManifest(canary)) }]),
      [],
    );
  });

  it("custom resources: CRD schema, undeclared fields, the artifact's own CRDs, unknown kinds reported", () => {
    const oci = {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "OCIRepository",
      metadata: { name: "apps", namespace: "flux-system" },
      spec: { url: "oci://ghcr.io/o/r", interval: "5 minutes", reff: { tag: "x" } },
    };
    assert.deepEqual(check([{ file: "o.yaml", object: oci }]), [
      'o.yaml: OCIRepository flux-system/apps: .spec.interval: "5 minutes" does not match ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
      "o.yaml: OCIRepository flux-system/apps: .spec.reff: field not declared in schema (the gate's server-side apply refuses it)",
    ]);
    const widget = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "apps" },
      spec: { size: "big" },
    };
    const [unknown] = check([{ file: "w.yaml", object: widget }]);
    assert.match(
      unknown!,
      /^w\.yaml: Widget apps\/w: no schema for apiVersion example\.com\/v1 kind Widget: not a GA API of Kubernetes v1\.34\.3, .*Fix: list the file of its CustomResourceDefinition with --crds\.$/,
    );
    const crd = widgetCrd({
      type: "object",
      properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
    });
    assert.deepEqual(
      check([
        { file: "crd.yaml", object: crd },
        { file: "w.yaml", object: widget },
      ]),
      ["w.yaml: Widget apps/w: .spec.size: must be integer, got string"],
    );
  });

  it("a document that is no Kubernetes object is named by its position", () => {
    assert.deepEqual(
      check([
        { file: "m.yaml", object: configMap({ a: "b" }) },
        { file: "m.yaml", object: ["not", "an", "object"] },
      ]),
      [
        "m.yaml: document 2: not a Kubernetes object: apiVersion and kind (strings) are required, got array",
      ],
    );
  });
});

function parseYaml(text: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require("yaml") as typeof import("yaml");
  return parse(text) as unknown;
}

describe("artifact check: rendering as kustomize-controller does", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const content = (files: Record<string, string>): string => {
    const d = contentDir(files);
    dirs.push(d);
    return d;
  };

  it("no kustomization: every YAML file below the root in Walk order, multi-document files, nothing else", () => {
    const dir = content({
      "b/z.yaml": yamlDocs(service),
      "a.yml": yamlDocs(configMap({ mode: "x" }), deployment()),
      "README.md": "# not a manifest\n",
      "notes.txt": "kind: nothing",
      "empty.yaml": "---\n",
    });
    const r = renderArtifact(dir, "kubernetes");
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.objects.map((o) => `${o.file} ${(o.object as { kind: string }).kind}`),
      ["kubernetes/a.yml ConfigMap", "kubernetes/a.yml Deployment", "kubernetes/b/z.yaml Service"],
    );
  });

  it("a file that is not YAML stops the build, as kustomize-controller's scan does", () => {
    const dir = content({ "ok.yaml": yamlDocs(service), "bad.yaml": "a: [unclosed\n" });
    const r = renderArtifact(dir, "kubernetes");
    assert.equal(r.objects.length, 0);
    assert.equal(r.problems.length, 1);
    assert.match(
      formatProblem(r.problems[0]!),
      /^kubernetes\/bad\.yaml: the file: failed to decode Kubernetes YAML/,
    );
  });

  it("the same object twice is refused, as kustomize refuses it", () => {
    const dir = content({ "a.yaml": yamlDocs(service), "b.yaml": yamlDocs(service) });
    const r = renderArtifact(dir, "k");
    assert.deepEqual(r.problems.map(formatProblem), [
      'k/b.yaml: Service apps/web: the same object is already defined in k/a.yaml; kustomize refuses the build ("may not add resource with an already registered id")',
    ]);
  });

  it("the CLI: exit 1 with one error annotation per problem, exit 0 with a summary", () => {
    const bad = content({
      "app/config.yaml": yamlDocs(configMap({ mode: ["a", "b"] }), deployment({}, "2")),
    });
    const r1 = cli(["--dir", bad, "--schemas", SCHEMAS]);
    assert.equal(r1.code, 1);
    assert.equal(
      r1.stderr.split("\n")[0],
      `::error::${bad}/app/config.yaml: ConfigMap flux-system/settings: .data.mode: must be string, got array`,
    );
    assert.match(r1.stderr, /Deployment apps\/web: \.spec\.replicas: must be integer, got string/);
    assert.match(r1.stderr, /2 problem\(s\) in .*nothing may be pushed/);

    const good = content({
      "app/all.yaml": yamlDocs(configMap({ mode: "a" }), deployment(), service),
    });
    const r2 = cli(["--dir", good, "--schemas", SCHEMAS]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, /3 object\(s\) from 1 file\(s\) .* Kubernetes v1\.34\.3/);
  });

  it("the CLI: --crds makes a custom resource known; a CRD file without a CRD is a usage error", () => {
    const crdFile = join(content({}), "widget.crd.yaml");
    writeFileSync(
      crdFile,
      yamlDocs(widgetCrd({ type: "object", "x-kubernetes-preserve-unknown-fields": true })),
    );
    const dir = content({
      "w.yaml": yamlDocs({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }),
    });
    const without = cli(["--dir", dir, "--schemas", SCHEMAS]);
    assert.equal(without.code, 1);
    assert.match(
      without.stderr,
      /no schema for apiVersion example\.com\/v1 kind Widget.*pipeline\.artifactCrds/,
    );
    assert.equal(cli(["--dir", dir, "--schemas", SCHEMAS, "--crds", crdFile]).code, 0);
    assert.throws(
      () => cli(["--dir", dir, "--schemas", SCHEMAS, "--crds", join(dir, "w.yaml")]),
      /holds no CustomResourceDefinition/,
    );
  });

  it("a kustomization with patches is built by kustomize v5.8.1; a patch that breaks a type is caught with its file", function () {
    this.timeout(60_000);
    const kustomize = tool("kustomize");
    assert.equal(execFileSync(kustomize, ["version"], { encoding: "utf8" }).trim(), "v5.8.1");
    const files = {
      "kustomization.yaml": stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: ["app/deploy.yaml", "app/config.yaml"],
        patches: [
          {
            target: { kind: "ConfigMap", name: "settings" },
            patch: stringify([{ op: "add", path: "/data/mode", value: ["a", "b"] }]),
          },
        ],
      }),
      "app/deploy.yaml": yamlDocs(deployment(), service),
      "app/config.yaml": yamlDocs(configMap({ level: "info" })),
    };
    const r = renderArtifact(content(files), "kubernetes", { kustomize });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(validateObjects(r.objects, set).map(formatProblem), [
      "kubernetes/app/config.yaml: ConfigMap flux-system/settings: .data.mode: must be string, got array",
    ]);
    // The origin annotation that named the file is gone again.
    for (const o of r.objects)
      assert.equal(
        (o.object as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.[
          "config.kubernetes.io/origin"
        ],
        undefined,
      );
    // A sub-directory with its own kustomization is built through a generated root kustomization.
    const nested = content({
      "base/kustomization.yaml": stringify({ resources: ["cm.yaml"], namePrefix: "x-" }),
      "base/cm.yaml": yamlDocs(configMap({ n: 1 })),
      "svc.yaml": yamlDocs(service),
    });
    const n = renderArtifact(nested, "k", { kustomize });
    assert.deepEqual(n.problems, []);
    assert.deepEqual(validateObjects(n.objects, set).map(formatProblem), [
      "k/base/cm.yaml: ConfigMap flux-system/x-settings: .data.n: must be string, got integer",
    ]);
    // A broken kustomization fails the build with kustomize's message.
    const broken = renderArtifact(
      content({ "kustomization.yaml": "resources: [missing.yaml]\n" }),
      "k",
      {
        kustomize,
      },
    );
    assert.equal(broken.objects.length, 0);
    assert.match(formatProblem(broken.problems[0]!), /^k: kustomize build: .*missing\.yaml/);
  });

  it("without kustomize, an artifact that needs it is refused with the install command", () => {
    const dir = content({ "kustomization.yaml": "resources: []\n" });
    const r = renderArtifact(dir, "k", { kustomize: join(dir, "no-such-kustomize") });
    assert.match(
      formatProblem(r.problems[0]!),
      /needs kustomize to render \(it has kustomization\.yaml\).*install kustomize v5\.8\.1/,
    );
  });
});

describe("artifact check: in the generated workflows", () => {
  const pipeline = (extra: Record<string, unknown> = {}) => exampleConfig(extra).pipeline;

  it("the build job validates after the stamp and before the push", () => {
    const steps = buildWorkflow(pipeline()).jobs.build!.steps.map((s) => s.name);
    const at = (n: string) => steps.indexOf(n);
    assert.ok(at("Stamp the version into the content") >= 0);
    assert.equal(at("Set up Go (kustomize)"), at("Stamp the version into the content") + 1);
    assert.equal(at("Validate what the gate will apply"), at("Set up Go (kustomize)") + 1);
    assert.equal(at("Push the release candidate"), at("Validate what the gate will apply") + 1);
  });

  it("artifactCrds reach the check as --crds through env; the pull-request job is read-only", () => {
    const env = (p: ReturnType<typeof pipeline>) =>
      buildWorkflow(p).jobs.build!.steps.find(
        (s) => s.name === "Validate what the gate will apply",
      )!.env;
    assert.deepEqual(env(pipeline()), {
      PROMOTION_SCHEMAS: ".github/promotion/schemas.json",
      KUSTOMIZE_VERSION: "v5.8.1",
    });
    assert.equal(
      env(pipeline({ artifactCrds: ["crds/b.yaml", "crds/a.yaml"] }))!.ARTIFACT_CRDS,
      "crds/a.yaml,crds/b.yaml",
    );
    const pr = validateWorkflow(pipeline({ buildPaths: ["platform/**"], branch: "trunk" }));
    assert.deepEqual(pr.on, { pull_request: { branches: ["trunk"], paths: ["platform/**"] } });
    assert.deepEqual(pr.permissions, {});
    assert.deepEqual(pr.jobs.validate!.permissions, { contents: "read" });
    assert.deepEqual(pr.jobs.validate!.env, { CONTENT_DIR: "platform" });
  });
});

describe("artifact check: server-side apply's list and status rules", () => {
  it("duplicate entries of an associative list are refused (env by name; ports by containerPort and the default protocol)", () => {
    const env = [
      { name: "MODE", value: "a" },
      { name: "LEVEL", value: "b" },
      { name: "MODE", value: "c" },
    ];
    assert.deepEqual(check([{ file: "d.yaml", object: deployment({ env }) }]), [
      'd.yaml: Deployment apps/web: .spec.template.spec.containers[0].env[2]: duplicate entry (name="MODE") of .spec.template.spec.containers[0].env[0]: server-side apply refuses duplicates',
    ]);
    const ports = [{ containerPort: 8080 }, { containerPort: 8080, protocol: "TCP" }];
    assert.equal(check([{ file: "d.yaml", object: deployment({ ports }) }]).length, 1);
    const udp = [{ containerPort: 53 }, { containerPort: 53, protocol: "UDP" }];
    assert.deepEqual(check([{ file: "d.yaml", object: deployment({ ports: udp }) }]), []);
  });

  it("a status the schema declares passes; one it does not is refused", () => {
    const withStatus = { ...service, status: { loadBalancer: {} } };
    assert.deepEqual(check([{ file: "s.yaml", object: withStatus }]), []);
    const badStatus = { ...configMap({ a: "b" }), status: { ready: true } };
    assert.deepEqual(check([{ file: "c.yaml", object: badStatus }]), [
      "c.yaml: ConfigMap flux-system/settings: .status: field not declared in schema (the gate's server-side apply refuses it)",
    ]);
  });
});
