import { buildCliIfStale } from "../../scripts/build-cli.js";

/**
 * vitest globalSetup: rebuilds the CLI bundle (dist/, scripts/build-cli.ts) if a source
 * changed since it was built, so that tests which spawn bin/zhixin.js run the bundle, as
 * users do after `npm ci`, rather than bin/zhixin.js's fallback from source.
 */
export default async function setup(): Promise<void> {
  await buildCliIfStale();
}
