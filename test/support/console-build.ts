import { build } from "vite";

/**
 * vitest globalSetup of the browser project: builds the console (console/vite.config.ts)
 * so the tests drive what `npm ci` builds and `npm start` serves, never a stale bundle.
 */
export default async function setup(): Promise<void> {
  await build({ configFile: new URL("../../console/vite.config.ts", import.meta.url).pathname });
}
