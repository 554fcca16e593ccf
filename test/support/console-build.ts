import { build } from "vite";

/**
 * vitest globalSetup of the browser project: builds the console (console/vite.config.ts)
 * so the tests drive what `npm ci` builds and `npm start` serves, never a stale bundle.
 */
export default async function setup(): Promise<void> {
  await buildConsole(new URL("../../console/vite.config.ts", import.meta.url).pathname);
}

/**
 * Builds the console of `configFile`. Its config sets NODE_ENV to "production" for Vite
 * (console/vite.config.ts says why); in a test process that must stay "test" afterwards.
 */
export async function buildConsole(configFile: string): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({ configFile });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}
