import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CONSOLE_DIR } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";

// docs/CONSOLE.md "Sign-in on AWS": a department or a court may compare the hosted page
// with its own build, which needs the build to be the same bytes wherever the clone is.
// The project's build (dist/console, made by this project's globalSetup under vitest's
// NODE_ENV "test") against a build of a copy of the sources in another folder.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let copy: string | undefined;
afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

async function digests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  }
  return out;
}

describe("the console's build", () => {
  it("gives byte-identical files from a clone in another folder", async () => {
    copy = await mkdtemp(join(tmpdir(), "zhixin-console-copy-"));
    for (const part of ["console", "lib", "package.json", "tsconfig.json"])
      await cp(join(ROOT, part), join(copy, part), { recursive: true });
    await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
    await buildConsole(join(copy, "console", "vite.config.ts"));
    const ours = await digests(CONSOLE_DIR);
    expect(Object.keys(ours)).toContain("index.html");
    expect(await digests(join(copy, "dist", "console"))).toEqual(ours);
  });
});
