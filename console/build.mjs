// Build the console's vendored assets into dist/ (served at /console/vendor/): the code
// editor bundle, Chart.js, axe-core (for the accessibility tests), the Swagger UI files
// of the OpenAPI page and the Chinese font (Noto Sans SC, regular and bold, in the
// unicode-range slices the browser fetches only as a page needs them). Run by scripts/install-deps.sh after `npm ci`; nothing is fetched
// at run time, so the console works on a network without Internet access.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const modules = join(here, "node_modules");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [join(here, "src", "editor.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(dist, "editor.js"),
  legalComments: "linked",
});

const copies = {
  "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
  "axe.min.js": "axe-core/axe.min.js",
  "swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
  "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
  "swagger-ui/favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
  "swagger-ui/LICENSE": "swagger-ui-dist/LICENSE",
};
for (const [target, source] of Object.entries(copies)) {
  mkdirSync(dirname(join(dist, target)), { recursive: true });
  cpSync(join(modules, source), join(dist, target));
}
// Noto Sans SC: the pages are Chinese by default and a government desktop may have no CJK
// font; woff2 only (every supported browser reads it), the woff fallbacks dropped.
const font = join(modules, "@fontsource", "noto-sans-sc");
const fontDist = join(dist, "fonts", "noto-sans-sc");
mkdirSync(join(fontDist, "files"), { recursive: true });
let fontCss = "";
for (const weight of ["400", "700"]) {
  fontCss += readFileSync(join(font, `${weight}.css`), "utf8").replace(
    /, url\(\.\/files\/[^)]+\.woff\) format\('woff'\)/g,
    "",
  );
  for (const file of readdirSync(join(font, "files"))) {
    if (file.endsWith(`-${weight}-normal.woff2`)) {
      cpSync(join(font, "files", file), join(fontDist, "files", file));
    }
  }
}
writeFileSync(join(fontDist, "font.css"), fontCss);
cpSync(join(font, "LICENSE"), join(fontDist, "LICENSE"));

writeFileSync(join(dist, "BUILT"), `${new Date().toISOString()}\n`);
console.log(`console assets built into ${dist}`);
