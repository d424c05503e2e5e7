/**
 * Pulumi unit-test mocks shared by every component test: mocha runs all files in one process and
 * `setMocks` is global, so one recorder serves all. Call `useMocks(stack)` before importing the code under test.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly provider?: string;
}

export const registered: Registered[] = [];

export async function useMocks(stack = "integration", project = "promotion-pipeline"): Promise<void> {
  registered.length = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
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
