// Copy the minified front-end assets from node_modules into the Python
// package, where they are committed and served from /static/vendor/.
// Run after `npm ci`: `npm run copy`.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "huiqi", "web", "static", "vendor");
mkdirSync(out, { recursive: true });
const files = [
  ["echarts/dist/echarts.min.js", "echarts.min.js"],
  ["echarts/LICENSE", "echarts.LICENSE.txt"],
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["htmx.org/LICENSE", "htmx.LICENSE.txt"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui.css"],
  ["swagger-ui-dist/favicon-32x32.png", "swagger-favicon-32x32.png"],
  ["swagger-ui-dist/LICENSE", "swagger-ui.LICENSE.txt"],
];
for (const [from, to] of files) {
  copyFileSync(join(here, "node_modules", from), join(out, to));
  console.log(`${from} -> src/huiqi/web/static/vendor/${to}`);
}
