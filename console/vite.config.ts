import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The web console's build (docs/CONSOLE.md): console/ → dist/console, plain static files
 * that the local node serves at /console/ and the CDK stack publishes to its bucket.
 * `base: "./"` makes every asset URL relative, so the same files work under /console/ and
 * at a CloudFront distribution's root. lib/ runs here unchanged (it is pure); its one use
 * of node:crypto (the request's Content-Digest) is mapped to @noble/hashes.
 */
// Always the production page, whatever NODE_ENV the caller has: vitest sets "test", under
// which Vite builds development code (and a shell may have "development"). So the tests
// drive, and a department can rebuild byte for byte, what `npm ci` builds. Vite reads
// NODE_ENV after loading this file.
process.env.NODE_ENV = "production";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  mode: "production",
  logLevel: "warn",
  resolve: {
    alias: {
      "#chain": here("../lib/chain/index.ts"),
      "node:crypto": here("./src/node-crypto.ts"),
    },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: here("../dist/console"),
    emptyOutDir: true,
    target: "es2022",
    // Chinese fonts come from the user's system; the bundle stays small.
    chunkSizeWarningLimit: 400,
  },
});
