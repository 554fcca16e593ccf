import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const biome = resolve("node_modules/.bin/biome");

/**
 * The real Biome with the project's biome.json, in a scratch folder holding `folders`:
 * `lint(path, source)` writes a probe file there and returns Biome's diagnostics ("" when
 * it passes). The purity tests use it, so a loosened rule fails a test, not a review.
 */
export async function startBiomeProbe(
  folders: readonly string[],
): Promise<{ lint(path: string, source: string): Promise<string>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "zhixin-purity-"));
  const config = JSON.parse(await readFile("biome.json", "utf8"));
  delete config.$schema;
  config.vcs = { enabled: false };
  await writeFile(join(dir, "biome.json"), JSON.stringify(config));
  for (const folder of folders) await mkdir(join(dir, folder), { recursive: true });
  return {
    async lint(path, source) {
      await writeFile(join(dir, path), source);
      try {
        await run(biome, ["lint", "--max-diagnostics=50", path], { cwd: dir });
        return "";
      } catch (e) {
        return `${(e as { stdout: string }).stdout}${(e as { stderr: string }).stderr}`;
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
