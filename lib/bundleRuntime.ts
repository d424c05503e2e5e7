/**
 * How the program bundle (dist/program.cjs, what Pulumi runs) sets up Node before anything else; index.ts
 * imports this module first. Both settings were found with node --cpu-prof under the real engine
 * (bench/preview.sh) and apply only in the bundle: scripts/build-program.mjs defines PROMOTION_PROGRAM_SOURCES,
 * so the tests that load index.ts through tsx keep Node's defaults.
 */
import { enableCompileCache } from "node:module";

declare const PROMOTION_PROGRAM_SOURCES: unknown;

if (typeof PROMOTION_PROGRAM_SOURCES !== "undefined") {
  // Node's on-disk compile cache (Node >= 22.8) for every module loaded after this one, the SDKs included:
  // @pulumi/pulumi's index alone loads TypeScript's compiler (typescript-shim.js, for closure serialization
  // this program never uses) and npm's arborist (automation API); compiling them was ~40% of the program's
  // time in a preview. The cache lives where Node puts it (NODE_COMPILE_CACHE, else the system temporary
  // directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off); Node never throws for it, and a missing or stale
  // entry only means compiling again.
  enableCompileCache();

  // Pulumi's runtime takes a stack trace for every resource and for every promise it tracks (@pulumi/pulumi
  // resource.js Resource.callsites, runtime/debuggable.js debuggablePromise), and its launcher installs
  // source-map-support (cmd/run/index.js), which looks every frame up in source maps. The bundle has none
  // (and node_modules' frames are not the user's), so that work found nothing and cost ~0.9 s of a preview:
  // stack traces are formatted the way V8 does. Resource source positions (dist/program.cjs:<line>) are the
  // same either way.
  Reflect.deleteProperty(Error, "prepareStackTrace");
}
