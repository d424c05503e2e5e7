import { strict as assert } from "node:assert";
import { parseChallenges } from "../../lib/registry/auth";
import { OciRegistryReader, isLoopback, nextLink } from "../../lib/registry/oci";
import {
  RegistryError,
  mapLimit,
  readTagDigests,
  type RegistryReader,
} from "../../lib/registry/types";

const D = (c: string): string => `sha256:${c.repeat(64)}`;

/** A fetch that answers from a table of `METHOD path` → response factories. */
function fakeFetch(routes: Record<string, () => Response>): typeof fetch {
  return (input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const key = `${init?.method ?? "GET"} ${u.pathname}${u.search}`;
    const r = routes[key] ?? routes[`${init?.method ?? "GET"} ${u.pathname}`];
    if (!r) return Promise.resolve(new Response(`no route ${key}`, { status: 599 }));
    return Promise.resolve(r());
  };
}

describe("registry: WWW-Authenticate challenges", () => {
  it("parses GHCR's bearer challenge", () => {
    assert.deepEqual(
      parseChallenges(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/r:pull"',
      ),
      [
        {
          scheme: "bearer",
          params: {
            realm: "https://ghcr.io/token",
            service: "ghcr.io",
            scope: "repository:o/r:pull",
          },
        },
      ],
    );
  });
  it("parses basic and several challenges", () => {
    assert.deepEqual(parseChallenges('Basic realm="x y"'), [
      { scheme: "basic", params: { realm: "x y" } },
    ]);
    assert.deepEqual(
      parseChallenges('Basic realm="a", Bearer realm="https://t/token",service=svc'),
      [
        { scheme: "basic", params: { realm: "a" } },
        { scheme: "bearer", params: { realm: "https://t/token", service: "svc" } },
      ],
    );
  });
});

describe("registry: Link pagination", () => {
  it("resolves rel=next against the current URL", () => {
    assert.equal(
      nextLink(
        '</v2/o/r/tags/list?last=b&n=2>; rel="next"',
        "https://ghcr.io/v2/o/r/tags/list?n=2",
      ),
      "https://ghcr.io/v2/o/r/tags/list?last=b&n=2",
    );
    assert.equal(nextLink(null, "https://x/"), undefined);
    assert.equal(nextLink('</a>; rel="prev"', "https://x/"), undefined);
  });
  it("uses http only for loopback hosts", () => {
    assert.equal(isLoopback("127.0.0.1:5000"), true);
    assert.equal(isLoopback("localhost"), true);
    assert.equal(isLoopback("[::1]:5000"), true);
    assert.equal(isLoopback("ghcr.io"), false);
    assert.equal(new OciRegistryReader({ host: "ghcr.io" }).base, "https://ghcr.io");
    assert.equal(new OciRegistryReader({ host: "localhost:5000" }).base, "http://localhost:5000");
  });
});

describe("registry: bounded concurrency", () => {
  it("never has more than the limit in flight and keeps order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([...Array(50).keys()], 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      inFlight--;
      return i * 2;
    });
    assert.equal(peak, 4);
    assert.deepEqual(
      out,
      [...Array(50).keys()].map((i) => i * 2),
    );
  });
  it("readTagDigests maps every tag through any RegistryReader", async () => {
    const reader: RegistryReader = {
      listTags: () => Promise.resolve(["b", "a", "a"]),
      digestOf: (_r, t) => Promise.resolve(D(t === "a" ? "1" : "2")),
    };
    assert.deepEqual(
      [...(await readTagDigests(reader, "x"))],
      [
        ["a", D("1")],
        ["b", D("2")],
      ],
    );
  });
});

describe("registry: OciRegistryReader fails closed", () => {
  const reader = (routes: Record<string, () => Response>): OciRegistryReader =>
    new OciRegistryReader({ host: "reg.example", fetch: fakeFetch(routes) });

  it("throws on malformed JSON, naming the registry and the step", async () => {
    const r = reader({ "GET /v2/o/p/tags/list": () => new Response("<html>", { status: 200 }) });
    await assert.rejects(r.listTags("o/p"), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(
        e.message,
        "registry reg.example: list tags of o/p (page 1): response is not JSON: <html>",
      );
      return true;
    });
  });
  it("throws when a later page fails, never returning the first page alone", async () => {
    const r = reader({
      "GET /v2/o/p/tags/list?n=1000": () =>
        new Response(JSON.stringify({ tags: ["a"] }), {
          headers: { link: '</v2/o/p/tags/list?last=a&n=1000>; rel="next"' },
        }),
      "GET /v2/o/p/tags/list?last=a&n=1000": () =>
        new Response("boom", { status: 500, statusText: "Internal Server Error" }),
    });
    await assert.rejects(
      r.listTags("o/p"),
      /registry reg.example: list tags of o\/p \(page 2\): HTTP 500 Internal Server Error: boom/,
    );
  });
  it("throws on a body without a tags list, or a malformed tag", async () => {
    await assert.rejects(
      reader({ "GET /v2/o/p/tags/list": () => new Response("{}") }).listTags("o/p"),
      /has no "tags" list/,
    );
    await assert.rejects(
      reader({ "GET /v2/o/p/tags/list": () => new Response('{"tags":["ok","bad tag"]}') }).listTags(
        "o/p",
      ),
      /malformed tag "bad tag"/,
    );
  });
  it("throws on a missing or malformed digest", async () => {
    await assert.rejects(
      reader({
        "HEAD /v2/o/p/manifests/1.0.0": () => new Response(null, { status: 200 }),
      }).digestOf("o/p", "1.0.0"),
      /registry reg.example: read digest of o\/p:1.0.0: the manifest HEAD response has no Docker-Content-Digest header/,
    );
    await assert.rejects(
      reader({
        "HEAD /v2/o/p/manifests/1.0.0": () =>
          new Response(null, { headers: { "docker-content-digest": "md5:x" } }),
      }).digestOf("o/p", "1.0.0"),
      /is not a digest/,
    );
  });
  it("throws on 404 and on a pagination loop", async () => {
    await assert.rejects(
      reader({
        "HEAD /v2/o/p/manifests/9.9.9": () =>
          new Response(null, { status: 404, statusText: "Not Found" }),
      }).digestOf("o/p", "9.9.9"),
      /read digest of o\/p:9.9.9: HTTP 404 Not Found/,
    );
    const loop = reader({
      "GET /v2/o/p/tags/list": () =>
        new Response('{"tags":["a"]}', {
          headers: { link: '</v2/o/p/tags/list?n=1000>; rel="next"' },
        }),
    });
    await assert.rejects(loop.listTags("o/p"), /pagination loops/);
  });
  it("refuses a basic challenge without credentials and an unsupported scheme", async () => {
    const challenge = (h: string) => () =>
      new Response(null, { status: 401, headers: { "www-authenticate": h } });
    await assert.rejects(
      reader({ "GET /v2/o/p/tags/list": challenge('Basic realm="r"') }).listTags("o/p"),
      /requires basic auth and no credentials are configured/,
    );
    await assert.rejects(
      reader({ "GET /v2/o/p/tags/list": challenge("Negotiate") }).listTags("o/p"),
      /unsupported challenge: Negotiate/,
    );
  });
  it("rejects repository names and tags that are not OCI names", async () => {
    const r = reader({});
    await assert.rejects(r.listTags("O/P"), /"O\/P" is not an OCI repository name/);
    await assert.rejects(r.digestOf("o/p", "../x"), /"\.\.\/x" is not a tag/);
  });
});
