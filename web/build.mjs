// Builds the dashboard into OUT_DIR (the first argument, default web/dist): app.js and login.js
// bundled and minified by esbuild, the HTML and CSS copied. The daemon embeds OUT_DIR's files
// (cmake/embed_dashboard.cmake). Needs `npm ci` in web/ first (scripts/setup does it).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "dist"));

let esbuild;
try {
  esbuild = await import("esbuild");
} catch (e) {
  console.error(`web/build.mjs: esbuild is not installed (${e.message}); run scripts/setup`);
  process.exit(1);
}

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { app: join(here, "src/app.js"), login: join(here, "src/login.js") },
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  outdir: out,
  logLevel: "warning",
});
for (const name of ["index.html", "login.html", "style.css"])
  copyFileSync(join(here, "src", name), join(out, name));
