import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  checkImports,
  FOLDER_RULES,
  formatViolation,
  importSpecifiers,
  type SourceImports,
  unusedExceptions,
  type Violation,
} from "./import-rules.js";

/**
 * `tsx scripts/check-imports.ts` (part of `npm run lint`): the import rules of
 * scripts/import-rules.ts over every source file of the checkout, tracked or new but not
 * ignored, so work not yet committed is checked too. Prints one line per violation and
 * exits 1, or prints nothing and exits 0.
 */

const ROOT = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const SOURCE = /\.([mc]?[jt]s|tsx)$/;
const GENERATED = /(^|\/)(node_modules|cdk\.out|coverage)\//;

/** Source files, repository-relative with "/": `git ls-files`, tracked and untracked. */
export function sourceFiles(root: string = ROOT): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  return listed
    .split("\0")
    .filter((f) => SOURCE.test(f) && !f.endsWith(".d.ts") && !GENERATED.test(f))
    .filter((f) => existsSync(path.join(root, f))) // deleted but not yet committed
    .sort();
}

/** package.json "imports" ("#chain" → "lib/chain/index.ts"), repository-relative. */
export function packageAliases(root: string = ROOT): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { imports?: object };
  const aliases: Record<string, string> = {};
  for (const [key, value] of Object.entries(pkg.imports ?? {})) {
    // A conditional target ({ "node": …, "default": … }) would leave its imports unchecked.
    if (typeof value !== "string") throw new Error(`package.json imports ${key}: only a path is understood`);
    aliases[key] = value;
  }
  return aliases;
}

export function collectSources(root: string = ROOT): SourceImports[] {
  return sourceFiles(root).map((file) => ({
    file,
    imports: importSpecifiers(readFileSync(path.join(root, file), "utf8")),
  }));
}

/** What `npm run lint` reports for the checkout at `root`. */
export function treeViolations(root: string = ROOT): Violation[] {
  const sources = collectSources(root);
  const aliases = packageAliases(root);
  return [
    ...checkImports(sources, FOLDER_RULES, aliases),
    ...unusedExceptions(sources, FOLDER_RULES, aliases),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const violations = treeViolations();
  for (const v of violations) console.error(formatViolation(v, FOLDER_RULES));
  process.exitCode = violations.length > 0 ? 1 : 0;
}
