/**
 * Pulumi unit-test mocks shared by every component test: mocha runs all files in one process and
 * `setMocks` is global, so one recorder serves all. Call `useMocks(stack)` before importing the code under test.
 */
import { existsSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { NS, rawConfigFrom, validateConfig, type StackConfig } from "../../lib/config";
import { readStackFiles } from "../../lib/config/pins";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly provider?: string;
}

export const registered: Registered[] = [];

export async function useMocks(
  stack = "integration",
  project = "promotion-pipeline",
): Promise<void> {
  registered.length = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): {
        id: string;
        state: Record<string, unknown>;
      } {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          ...(args.provider ? { provider: args.provider } : {}),
        });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
      },
    },
    project,
    stack,
    false,
  );
}

/** Resolves an Output (or plain value) in tests. */
export function resolve<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((res) => pulumi.output(o).apply((v) => res(v as T)));
}

/** Waits until the mock engine has seen every registration issued so far. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

export function ofType(type: string): Registered[] {
  return registered.filter((r) => r.type === type);
}

/**
 * The config map Pulumi would hand the program for `stack`: project-level values from Pulumi.yaml and the
 * stack's own Pulumi.<stack>.yaml, as JSON text per key (as the engine passes structured values).
 */
export function stackConfig(
  root: string,
  stack: string,
  overrides: Record<string, unknown> = {},
): Record<string, string> {
  const project = parse(readFileSync(`${root}/Pulumi.yaml`, "utf8")) as {
    config?: Record<string, unknown>;
  };
  const file = `${root}/Pulumi.${stack}.yaml`;
  const own = existsSync(file)
    ? ((parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> }).config ?? {})
    : {};
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown): void => {
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  };
  for (const [k, v] of Object.entries(project.config ?? {})) {
    put(k, v !== null && typeof v === "object" && "value" in v ? v.value : v);
  }
  for (const [k, v] of Object.entries(own)) put(k, v);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else put(k, v);
  }
  return out;
}

/**
 * Runs the whole program (index.ts) for a stack under mocks and returns what it registered and exported.
 * Each call loads a fresh copy of the program.
 */
export async function runProgram(
  root: string,
  stack: string,
  config: Record<string, string>,
  secretKeys: string[] = [],
): Promise<{ resources: Registered[]; exports: Record<string, unknown> }> {
  await useMocks(stack);
  pulumi.runtime.setAllConfig(config, secretKeys);
  const entry = require.resolve(`${root}/index.ts`);
  for (const k of Object.keys(require.cache)) {
    if (k.startsWith(root) && !k.includes("node_modules") && !k.includes("/tests/"))
      delete require.cache[k];
  }
  // Pulumi runs the program in the project directory, and the program reads its files relative to it.
  const cwd = process.cwd();
  process.chdir(root);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(entry) as unknown;
    // index.ts exports an async function (the Pulumi runtime awaits it; its result holds the stack outputs).
    const outputs = (
      typeof mod === "function" ? await (mod as () => Promise<unknown>)() : mod
    ) as Record<string, unknown>;
    const exports: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(outputs)) exports[k] = await resolve(v);
    await settle();
    return { resources: [...registered], exports };
  } finally {
    process.chdir(cwd);
  }
}

/**
 * The validated config of `stack` from the shipped Pulumi.yaml and stack files, assembled exactly as
 * lib/config/read.ts does it (rawConfigFrom, readStackFiles), without the engine.
 */
export function shippedConfig(
  root: string,
  stack: string,
  now = new Date("2026-11-23T12:00:00Z"),
): StackConfig {
  const values = stackConfig(root, stack);
  return validateConfig(
    rawConfigFrom(
      stack,
      (key) => values[`${NS}:${key}`],
      () => true,
      readStackFiles(root),
    ),
    now,
  );
}

/**
 * Declares under the mocks and waits for the registrations: when it resolves, `registered` holds exactly what
 * `declare` registered.
 */
export async function declared<T>(declare: () => T): Promise<T> {
  registered.length = 0;
  const made = declare();
  await settle();
  return made;
}

/** A describe block whose tests declare components under the mocks of `stack`. */
export function describeComponents(title: string, stack: string, tests: () => void): void {
  describe(title, () => {
    before(() => useMocks(stack));
    tests();
  });
}
