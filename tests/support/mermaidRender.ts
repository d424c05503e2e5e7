/**
 * Renders a Mermaid diagram as GitHub shows a ```mermaid block: the `mermaid` npm package (the library
 * GitHub's renderer runs) in a real browser, Debian's `chromium` headless (scripts/install-tools.sh installs
 * it; no browser download). Two runs of the browser on one local page: `--dump-dom` gives the page after
 * Mermaid rendered (the SVG, to assert on), `--screenshot` the picture a person sees. No browser driver
 * library is needed for that, so none is a dependency.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CHROMIUM = "/usr/bin/chromium";

const MERMAID_JS = join(__dirname, "..", "..", "node_modules", "mermaid", "dist", "mermaid.min.js");

export interface Rendered {
  /** The rendered `<svg>` element's markup. */
  readonly svg: string;
  /** The screenshot, PNG. */
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Width and height from a PNG's IHDR chunk (and a check that it is a PNG at all). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (
    png.length < 24 ||
    png.toString("latin1", 1, 4) !== "PNG" ||
    png.toString("latin1", 12, 16) !== "IHDR"
  )
    throw new Error("not a PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function chromium(dir: string, args: readonly string[]): string {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run scripts/install-tools.sh`);
  return execFileSync(
    CHROMIUM,
    [
      "--headless",
      // Root on CI: Chromium's sandbox needs user namespaces it may not get there.
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${join(dir, "profile")}`,
      // Mermaid renders asynchronously: let the page's timers run before the dump or the screenshot.
      "--virtual-time-budget=15000",
      ...args,
    ],
    { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 },
  );
}

/** Renders `source` in `dir` (a scratch directory) at `width` x `height`. */
export function renderMermaid(source: string, dir: string, width = 1400, height = 720): Rendered {
  mkdirSync(dir, { recursive: true });
  const page = join(dir, "diagram.html");
  // The source goes in as a JS string literal (`<` escaped so nothing in it can end the script).
  const literal = JSON.stringify(source).replace(/</g, "\\u003c");
  writeFileSync(
    page,
    `<!doctype html>
<html><head><meta charset="utf-8"><style>body{margin:16px;font-family:sans-serif;background:#fff}</style>
<script src="file://${MERMAID_JS}"></script></head>
<body><div id="out">rendering</div>
<script>
mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
mermaid.render("pipeline", ${literal}).then(
  (r) => { document.getElementById("out").innerHTML = r.svg; document.body.dataset.rendered = "yes"; },
  (e) => { document.getElementById("out").textContent = "MERMAID ERROR: " + e; },
);
</script></body></html>
`,
  );
  const url = `file://${page}`;
  const dom = chromium(dir, ["--dump-dom", url]);
  const error = /<div id="out">(MERMAID ERROR: [^<]*)/.exec(dom);
  if (error) throw new Error(error[1]);
  const svg = /<svg[\s\S]*<\/svg>/.exec(dom)?.[0];
  if (!svg) throw new Error(`no SVG in the rendered page:\n${dom.slice(0, 2000)}`);
  const shot = join(dir, "screenshot.png");
  chromium(dir, [`--window-size=${width},${height}`, `--screenshot=${shot}`, url]);
  const png = readFileSync(shot);
  return { svg, png, ...pngSize(png) };
}
