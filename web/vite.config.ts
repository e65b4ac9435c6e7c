// The console's build: `npm run build` runs `vite build --config web/vite.config.ts` after tsc.
// Output goes to dist/web, which src/api/console/plugin.ts serves at /console/.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/console/",
  logLevel: "warn",
  // Preact's automatic JSX runtime through Vite's own transform (no Babel preset: a faster build)
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  resolve: {
    alias: { react: "preact/compat", "react-dom": "preact/compat" },
  },
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // igv.js is one large file loaded only when a genome view is opened
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
  },
});
