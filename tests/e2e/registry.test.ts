/**
 * OciRegistryReader against a real registry (Debian docker-registry on 127.0.0.1): anonymous, basic auth
 * (htpasswd), and, through a front that adds GHCR's behaviour, bearer tokens and tag-list pagination.
 */
import { strict as assert } from "node:assert";
import { OciRegistryReader } from "../../lib/registry/oci";
import { RegistryError } from "../../lib/registry/types";
import { e2eBox } from "../support/e2eBox";
import { freePort } from "../support/ports";
import { type TestRegistry } from "../support/registry";
import { pushArtifact } from "../support/push";
import { type RegistryProxy } from "../support/registryProxy";

const REPO = "example-org/platform/platform";

describe("e2e: OciRegistryReader on a real registry", function () {
  this.timeout(60_000);
  // The fronts add GHCR's behaviour: pages of 7 and the anonymous bearer dance; pages of 50 and a token
  // endpoint that takes basic credentials.
  const box = e2eBox({
    name: "promotion-registry-e2e-",
    registries: { open: {}, auth: { basicAuth: { user: "ci", password: "s3cret" } } },
    fronts: {
      anonymous: { upstream: "open", maxPageSize: 7, bearer: {} },
      tokens: { upstream: "open", maxPageSize: 50, bearer: { user: "bot", password: "tok" } },
    },
  });
  let reg: TestRegistry;
  let authReg: TestRegistry;
  let proxy: RegistryProxy;
  let authProxy: RegistryProxy;
  const digests = new Map<string, string>();

  before(async () => {
    ({ open: reg, auth: authReg } = box.registries);
    ({ anonymous: proxy, tokens: authProxy } = box.fronts);
    const target = { host: reg.host, repo: REPO };
    for (let i = 1; i <= 30; i++) {
      const d = await pushArtifact(target, `build-${i}`, [
        `0.1.${i}-rc.1`,
        `sha-${String(i).padStart(7, "0")}`,
      ]);
      digests.set(`0.1.${i}-rc.1`, d);
    }
    digests.set("latest", await pushArtifact(target, "build-30", ["latest"]));
    await pushArtifact({ host: authReg.host, repo: REPO, basicAuth: "ci:s3cret" }, "b", ["1.0.0"]);
  });

  it("lists tags and reads digests anonymously", async () => {
    const r = new OciRegistryReader({ host: reg.host });
    const tags = await r.listTags(REPO);
    assert.equal(tags.length, 61);
    assert.equal(await r.digestOf(REPO, "0.1.7-rc.1"), digests.get("0.1.7-rc.1"));
    // a retag is the same manifest: same digest
    assert.equal(await r.digestOf(REPO, "latest"), digests.get("0.1.30-rc.1"));
    const all = await r.tagDigests(REPO);
    assert.equal(all.size, 61);
    assert.equal(all.get("sha-0000007"), digests.get("0.1.7-rc.1"));
  });

  it("follows Link pagination across pages and answers the anonymous bearer dance", async () => {
    const r = new OciRegistryReader({ host: proxy.host, pageSize: 1000, concurrency: 3 });
    const tags = await r.listTags(REPO);
    assert.equal(tags.length, 61);
    assert.equal(new Set(tags).size, 61);
    assert.equal(proxy.pagesServed, 9); // 61 tags, 7 per page
    assert.deepEqual(proxy.tokenRequests, [`repository:${REPO}:pull`]);
    assert.equal(await r.digestOf(REPO, "0.1.3-rc.1"), digests.get("0.1.3-rc.1"));
  });

  it("exchanges basic credentials for a bearer token, and fails with the wrong ones", async () => {
    const ok = new OciRegistryReader({
      host: authProxy.host,
      credentials: { username: "bot", password: "tok" },
    });
    assert.equal((await ok.listTags(REPO)).length, 61);
    const anon = new OciRegistryReader({ host: authProxy.host });
    await assert.rejects(anon.listTags(REPO), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.match(
        e.message,
        new RegExp(
          `^registry ${authProxy.host}: list tags of ${REPO} \\(page 1\\): token from http://${authProxy.host}/token: HTTP 401`,
        ),
      );
      return true;
    });
  });

  it("uses basic auth on an htpasswd registry, and reports missing or wrong credentials", async () => {
    const ok = new OciRegistryReader({
      host: authReg.host,
      credentials: { username: "ci", password: "s3cret" },
    });
    assert.deepEqual(await ok.listTags(REPO), ["1.0.0"]);
    assert.match(await ok.digestOf(REPO, "1.0.0"), /^sha256:[a-f0-9]{64}$/);
    await assert.rejects(
      new OciRegistryReader({ host: authReg.host }).listTags(REPO),
      new RegExp(
        `registry ${authReg.host}: list tags of ${REPO} \\(page 1\\): HTTP 401: the registry requires basic auth and no credentials are configured`,
      ),
    );
    await assert.rejects(
      new OciRegistryReader({
        host: authReg.host,
        credentials: { username: "ci", password: "nope" },
      }).listTags(REPO),
      /HTTP 401 after authenticating as ci/,
    );
  });

  it("fails closed on a closed port, an unknown repository and an unknown tag", async () => {
    const port = await freePort();
    await assert.rejects(
      new OciRegistryReader({ host: `127.0.0.1:${port}`, timeoutMs: 5000 }).listTags(REPO),
      new RegExp(
        `^RegistryError: registry 127.0.0.1:${port}: list tags of ${REPO} \\(page 1\\): GET http://127.0.0.1:${port}/v2/${REPO}/tags/list\\?n=1000 failed: fetch failed.*ECONNREFUSED`,
      ),
    );
    const r = new OciRegistryReader({ host: reg.host });
    await assert.rejects(
      r.listTags("example-org/nothing"),
      /list tags of example-org\/nothing \(page 1\): HTTP 404/,
    );
    await assert.rejects(r.digestOf(REPO, "9.9.9"), /read digest of .*:9\.9\.9: HTTP 404/);
  });
});
