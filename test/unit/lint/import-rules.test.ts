import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { packageAliases, treeViolations } from "../../../scripts/check-imports.js";
import {
  checkImports,
  FOLDER_RULES,
  formatViolation,
  importSpecifiers,
  resolveImport,
  unusedExceptions,
  type Violation,
} from "../../../scripts/import-rules.js";

// The import rules between folders (scripts/import-rules.ts, docs/ARCHITECTURE.md §2) run
// in `npm run lint`. Here: the tree keeps them, each kind of forbidden import is reported,
// allowed ones are not, the table names only folders and files that exist, and each
// folder's README says what its row says.

const aliases = packageAliases();

function violationsOf(file: string, source: string): Violation[] {
  return checkImports([{ file, imports: importSpecifiers(source) }], FOLDER_RULES, aliases);
}

describe("the tree", () => {
  it("keeps the import rules, with no exception left that the code no longer needs", () => {
    expect(treeViolations().map((v) => formatViolation(v, FOLDER_RULES))).toEqual([]);
  });
});

describe("forbidden imports", () => {
  it.each([
    [
      "cli/ importing a service",
      "cli/commands/probe.ts",
      'import { submitEntries } from "../../functions/ledger/submit.js";',
      { kind: "may-import", import: "functions/ledger/submit.ts", rule: "cli/" },
    ],
    [
      "cdk/ importing a handler with a dynamic import",
      "cdk/lib/probe.ts",
      'export async function load() {\n  return await import("../../functions/submit/handler.js");\n}',
      { kind: "may-import", import: "functions/submit/handler.ts", rule: "cdk/" },
    ],
    [
      "functions/rules importing the router",
      "functions/rules/probe.ts",
      'import { errorResponse } from "../api/http.js";',
      { kind: "may-import", import: "functions/api/http.ts", rule: "functions/rules/" },
    ],
    [
      "functions/rules importing intake",
      "functions/rules/probe.ts",
      'import { submitEntries } from "../ledger/submit.js";',
      { kind: "may-import", import: "functions/ledger/submit.ts", rule: "functions/rules/" },
    ],
    [
      "functions/sharing importing the runtime",
      "functions/sharing/probe.ts",
      'import { loadConsortium } from "../runtime/consortium-file.js";',
      { kind: "may-import", import: "functions/runtime/consortium-file.ts", rule: "functions/sharing/" },
    ],
    [
      "functions/api importing the runtime",
      "functions/api/probe.ts",
      'import { lambdaRuntime } from "../runtime/runtime.js";',
      { kind: "may-import", import: "functions/runtime/runtime.ts", rule: "functions/api/" },
    ],
    [
      "functions/ledger importing auth beyond caller.ts",
      "functions/ledger/probe.ts",
      'import { StaticKeyDirectory } from "../auth/key-directory.js";',
      { kind: "may-import", import: "functions/auth/key-directory.ts", rule: "functions/ledger/" },
    ],
    [
      "functions/store re-exporting intake (export … from)",
      "functions/store/probe.ts",
      'export { submitEntries } from "../ledger/submit.js";',
      { kind: "may-import", import: "functions/ledger/submit.ts", rule: "functions/store/" },
    ],
    [
      "lib/chain importing lib/protocol, type-only",
      "lib/chain/probe.ts",
      'import type { BlockSignature } from "../protocol/entries.js";',
      { kind: "may-import", import: "lib/protocol/entries.ts", rule: "lib/chain/" },
    ],
    [
      "lib/witness importing lib/crypto",
      "lib/witness/probe.ts",
      'import { verifySignature } from "../crypto/verify.js";',
      { kind: "may-import", import: "lib/crypto/verify.ts", rule: "lib/witness/" },
    ],
    [
      "functions/telemetry importing the store",
      "functions/telemetry/probe.ts",
      'import { PAGE_SIZE } from "../store/ports.js";',
      { kind: "may-import", import: "functions/store/ports.ts", rule: "functions/telemetry/" },
    ],
    [
      "lib/ importing telemetry",
      "lib/probe.ts",
      'import { log } from "../functions/telemetry/log.js";',
      { kind: "may-import", import: "functions/telemetry/log.ts", rule: "lib/" },
    ],
    [
      "lib/ importing a service",
      "lib/protocol/probe.ts",
      'import "../../functions/store/ports.js";',
      { kind: "may-import", import: "functions/store/ports.ts", rule: "lib/" },
    ],
    [
      "bin/ importing past the CLI",
      "bin/probe.js",
      'await import("../functions/submit/handler.ts");',
      { kind: "may-import", import: "functions/submit/handler.ts", rule: "bin/" },
    ],
    [
      "a folder allowed everything still kept from the runtime",
      "scripts/probe.ts",
      'import { lambdaRuntime } from "../functions/runtime/runtime.js";',
      { kind: "imported-only-by", import: "functions/runtime/runtime.ts", rule: "functions/runtime/" },
    ],
    [
      "a listed exception's import from another file",
      "local/probe.ts",
      'import { PROJECT_ROOT } from "../cli/defaults.js";',
      { kind: "may-import", import: "cli/defaults.ts", rule: "local/" },
    ],
    [
      "a file in a folder no row covers",
      "functions/probe/handler.ts",
      'import { sha256 } from "#chain";',
      { kind: "no-rule", import: "", rule: "" },
    ],
  ])("reports %s", (_, file, source, expected) => {
    expect(violationsOf(file, source)).toEqual([{ ...expected, file }]);
  });

  it("resolves the package.json alias and NodeNext's .js suffix to the file", () => {
    expect(resolveImport("cli/x.ts", "#chain", aliases)).toBe("lib/chain/index.ts");
    expect(resolveImport("functions/api/x.ts", "../../lib/clock.js", aliases)).toBe("lib/clock.ts");
    expect(resolveImport("cli/x.ts", "#api/*", { "#api/*": "./functions/api/*.ts" })).toBe(
      "functions/api/*.ts",
    );
    expect(
      checkImports([{ file: "cli/x.ts", imports: ["#api/http"] }], FOLDER_RULES, {
        "#api/*": "./functions/api/*.ts",
      }),
    ).toEqual([{ kind: "may-import", file: "cli/x.ts", import: "functions/api/http.ts", rule: "cli/" }]);
  });

  it("reports an exception the code no longer needs", () => {
    const sources = [{ file: "local/start.ts", imports: ["../lib/local-home.js"] }];
    expect(unusedExceptions(sources, FOLDER_RULES, aliases)).toContainEqual({
      kind: "unused-exception",
      file: "local/start.ts",
      import: "cli/defaults.ts",
      rule: "local/",
    });
  });
});

describe("allowed imports", () => {
  it.each([
    [
      "cli/ importing lib/, #chain, npm and node: modules",
      "cli/probe.ts",
      'import { ROUTES } from "../lib/protocol/routes.js";\nimport { sha256 } from "#chain";\nimport { z } from "zod";\nimport { readFile } from "node:fs/promises";',
    ],
    [
      "a handler importing the runtime and a service",
      "functions/verify/probe.ts",
      'import { lambdaRuntime } from "../runtime/runtime.js";\nimport { verifyRequest } from "../audit/verify-request.js";',
    ],
    [
      "local/ importing the runtime",
      "local/probe.ts",
      'import { lambdaRuntime } from "../functions/runtime/runtime.js";',
    ],
    [
      "the runtime importing a service",
      "functions/runtime/probe.ts",
      'import { DynamoDbLedgerStore } from "../store/dynamodb-store.js";',
    ],
    [
      "a service and the store writing logs and metrics",
      "functions/store/probe.ts",
      'import { log } from "../telemetry/log.js";\nimport { emitMetrics } from "../telemetry/metrics.js";',
    ],
    [
      "functions/ledger importing the Caller type",
      "functions/ledger/probe.ts",
      'import type { Caller } from "../auth/caller.js";',
    ],
    [
      "functions/sharing importing the ledger and the rules",
      "functions/sharing/probe.ts",
      'import { readEntry } from "../ledger/reader.js";\nimport { loadContract } from "../rules/contracts.js";',
    ],
    [
      "functions/audit importing the rules' parsing",
      "functions/audit/probe.ts",
      'import { COSIGN_TYPE } from "../rules/cosign.js";',
    ],
    [
      "lib/chain importing its own files and @noble/hashes",
      "lib/chain/probe.ts",
      'import { sha256 } from "@noble/hashes/sha2.js";\nimport { hashLeaf } from "./rfc6962.js";\nimport { x } from "#chain";',
    ],
    [
      "lib/witness importing lib/chain",
      "lib/witness/probe.ts",
      'import { parseNote } from "#chain";\nimport { y } from "../chain/note.js";',
    ],
    [
      "lib/ importing lib/",
      "lib/crypto/probe.ts",
      'import { ApiError } from "../protocol/errors.js";\nimport { Clock } from "../clock.js";',
    ],
    [
      "test/ importing the runtime",
      "test/unit/probe.test.ts",
      'import { lambdaRuntime } from "../../functions/runtime/runtime.js";',
    ],
    [
      "bench/ importing test support",
      "bench/probe.ts",
      'import { startDynalite } from "../test/support/dynalite.js";',
    ],
    [
      "imports written in comments and strings",
      "cli/probe.ts",
      '// import "../functions/api/api.js";\nconst s = "import \'../functions/api/api.js\'";\nexport { s };',
    ],
    ["a listed exception", "local/start.ts", 'import { localPaths } from "../cli/defaults.js";'],
  ])("allows %s", (_, file, source) => {
    expect(violationsOf(file, source)).toEqual([]);
  });
});

describe("the rules table", () => {
  it("names only folders and files that exist, so a rename cannot drop a rule", () => {
    const named = FOLDER_RULES.flatMap((r) => [
      r.folder,
      ...(r.mayImport === "anything" ? [] : r.mayImport),
      ...(r.importedOnlyBy ?? []),
      ...(r.exceptions ?? []).flatMap((e) => [e.file, e.imports]),
    ]);
    expect(named.filter((path) => !existsSync(path))).toEqual([]);
  });

  it("has one row per folder, and a reason for every exception", () => {
    const folders = FOLDER_RULES.map((r) => r.folder);
    expect(new Set(folders).size).toBe(folders.length);
    for (const r of FOLDER_RULES) {
      for (const e of r.exceptions ?? []) expect(e.file.startsWith(r.folder), e.file).toBe(true);
      for (const e of r.exceptions ?? []) expect(e.reason.length, e.file).toBeGreaterThan(20);
    }
  });
});

/** The README.md that states each row's rule (a folder's own, or the one that covers it). */
const README_OF: Record<string, string> = {
  "bin/": "cli/README.md",
  "cli/": "cli/README.md",
  "cdk/": "cdk/README.md",
  "local/": "local/README.md",
  "console/": "console/README.md",
  "lib/sm2/": "lib/sm2/README.md",
  "functions/submit/": "functions/README.md",
  "functions/seal-block/": "functions/README.md",
  "functions/verify/": "functions/README.md",
  "functions/add-checkpoint/": "functions/README.md",
  "functions/witness/": "functions/witness/README.md",
  "functions/api/": "functions/api/README.md",
  "functions/auth/": "functions/auth/README.md",
  "functions/ledger/": "functions/ledger/README.md",
  "functions/rules/": "functions/rules/README.md",
  "functions/sharing/": "functions/sharing/README.md",
  "functions/audit/": "functions/audit/README.md",
  "functions/store/": "functions/store/README.md",
  "functions/runtime/": "functions/runtime/README.md",
  "functions/telemetry/": "functions/telemetry/README.md",
  "lib/chain/": "lib/chain/README.md",
  "lib/witness/": "lib/README.md",
  "lib/evidence/": "lib/README.md",
  "lib/": "lib/README.md",
  "examples/": "examples/README.md",
  "bench/": "bench/README.md",
  "scripts/": "scripts/README.md",
};

/** Rows without a README, and why. */
const NO_README: Record<string, string> = {
  "test/": "docs/TESTING.md says what the tests prove and where they live",
  "vitest.config.ts": "a file, not a folder",
};

/** The "**May import** …" paragraphs of a README, up to the blank line after each. */
function mayImportText(readme: string): string {
  return readme
    .split(/\n\s*\n/)
    .filter((p) => p.startsWith("**May import**"))
    .join("\n");
}

describe("the folders' READMEs", () => {
  it("exist for every row of the table, or the row says why not", () => {
    const rows = FOLDER_RULES.map((r) => r.folder);
    expect(rows.filter((f) => README_OF[f] === undefined && NO_README[f] === undefined)).toEqual([]);
    expect(Object.keys(README_OF).filter((f) => !rows.includes(f))).toEqual([]);
    expect(Object.keys(NO_README).filter((f) => !rows.includes(f))).toEqual([]);
    expect(Object.values(README_OF).filter((readme) => !existsSync(readme))).toEqual([]);
  });

  it.each(FOLDER_RULES.filter((r) => README_OF[r.folder] !== undefined))(
    "$folder: the README's May import paragraph names what the row allows, and the README its exceptions",
    (rule) => {
      const readme = readFileSync(README_OF[rule.folder] as string, "utf8");
      const mayImport = mayImportText(readme);
      expect(mayImport, "no **May import** paragraph").not.toBe("");
      const allowed = rule.mayImport === "anything" ? ["anything"] : rule.mayImport;
      expect(allowed.filter((p) => !mayImport.includes(p))).toEqual([]);
      const named = [...(rule.importedOnlyBy ?? []), ...(rule.exceptions ?? []).map((e) => e.imports)];
      expect(named.filter((p) => !readme.includes(p))).toEqual([]);
    },
  );

  it("reads only the May import paragraph", () => {
    const readme = "# x\n\n**Owns** `functions/api/`.\n\n**May import** `lib/`\nonly.\n\nNot `cli/`.\n";
    expect(mayImportText(readme)).toBe("**May import** `lib/`\nonly.");
  });
});
