import { defineConfig } from "vitest/config";

// Two projects so `npm run test:unit` stays fast and free of servers, while
// `npm test` runs everything. Coverage is enforced on the pure core only:
// lib/chain must stay at 100% lines (issue #2); the rest is measured, not gated.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        // Synthesis bundles the three functions with esbuild: slow hooks, no servers.
        test: {
          name: "cdk",
          include: ["test/cdk/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
    coverage: {
      provider: "v8",
      include: ["lib/**/*.ts", "functions/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: {
        "lib/chain/**/*.ts": { lines: 100 },
      },
    },
  },
});
