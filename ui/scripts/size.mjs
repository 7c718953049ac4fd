// Prints the gzipped size of the app's JavaScript and fails past the
// budget: 250 KB gzipped for everything the workspace loads.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const budget = 250 * 1024;
const dir = new URL("../../web/dist/assets/", import.meta.url).pathname;
let total = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
  const gz = gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  total += gz;
  console.log(`ui bundle: ${f} ${(gz / 1024).toFixed(1)} KB gzipped`);
}
console.log(`ui bundle: JavaScript ${(total / 1024).toFixed(1)} KB gzipped (budget ${budget / 1024} KB)`);
if (total > budget) {
  console.error("ui bundle: over budget");
  process.exit(1);
}
