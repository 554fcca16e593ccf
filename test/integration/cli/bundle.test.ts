import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCli,
  buildCliIfStale,
  type CliBuild,
  cliBundleIsFresh,
  DIST,
  MANIFEST,
} from "../../../scripts/build-cli.js";
import { ROOT } from "../../support/cli.js";

// bin/zhixin.js runs the bundle scripts/build-cli.ts writes to dist/ only while no input
// changed since, and cli/zhixin.ts from source through tsx otherwise. Each case runs in a
// copy of the CLI's folders (node_modules linked), so editing a source here edits no one's
// checkout. A marker appended to the bundle's entry shows which of the two ran.

const MARKER = "the bundle ran\n";
const TITLE = "zhixin — client for a Zhixin consortium ledger";

let copy: string;
let built: CliBuild;

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), "zhixin-bundle-"));
  for (const path of ["bin", "cli", "lib", "scripts/build-cli.ts", "package.json", "tsconfig.json"]) {
    await cp(join(ROOT, path), join(copy, path), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"));
  built = await buildCli(copy);
  await writeFile(
    join(copy, DIST, built.manifest.entry),
    `${await readFile(join(copy, DIST, built.manifest.entry), "utf8")}\nprocess.stderr.write(${JSON.stringify(MARKER)});\n`,
  );
});

afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

function zhixinHelp(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(copy, "bin", "zhixin.js"), "--help"],
      { cwd: tmpdir() },
      (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
    );
  });
}

describe("the CLI bundle", () => {
  it("runs while fresh, finding the clone's home and consortium file from dist/", async () => {
    expect(cliBundleIsFresh(copy)).toBe(true);
    const run = await zhixinHelp();
    expect(run).toMatchObject({ code: 0, stderr: MARKER });
    expect(run.stdout).toContain(TITLE);
    expect(run.stdout).toContain(join(copy, ".zhixin"));
    expect(run.stdout).toContain(join(copy, "consortium.example.json"));
  });

  it("loads for --help no command, no AWS SDK, zod, ajv or tsx: only node: modules", () => {
    const externals = new Set<string>();
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const i of built.metafile.outputs[name]?.imports ?? []) {
        if (i.kind !== "import-statement") continue;
        if (i.external) externals.add(i.path);
        else visit(i.path);
      }
    };
    visit(built.manifest.entry);
    expect(seen.size).toBeGreaterThan(1);
    expect([...externals].filter((p) => !p.startsWith("node:"))).toEqual([]);
    // The commands are there, to be loaded when one runs.
    expect(Object.keys(built.metafile.outputs).some((o) => o.startsWith("commands-"))).toBe(true);
  });

  it("never runs stale: once a source changed, the CLI runs from source until rebuilt", async () => {
    const usage = join(copy, "cli", "usage.ts");
    await writeFile(usage, (await readFile(usage, "utf8")).replace(TITLE, `${TITLE} (edited)`));
    expect(cliBundleIsFresh(copy)).toBe(false);
    const stale = await zhixinHelp();
    expect(stale).toMatchObject({ code: 0, stderr: "" });
    expect(stale.stdout).toContain(`${TITLE} (edited)`);

    expect(await buildCliIfStale(copy)).toBe(true);
    expect(await buildCliIfStale(copy)).toBe(false);
    const rebuilt = await zhixinHelp();
    expect(rebuilt).toMatchObject({ code: 0, stderr: "" });
    expect(rebuilt.stdout).toContain(`${TITLE} (edited)`);
  });

  it("runs from source when no bundle was built (npm ci --ignore-scripts)", async () => {
    await unlink(join(copy, DIST, MANIFEST));
    expect(cliBundleIsFresh(copy)).toBe(false);
    const run = await zhixinHelp();
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain(TITLE);
  });
});
