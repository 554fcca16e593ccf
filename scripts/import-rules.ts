import path from "node:path";
import ts from "typescript";

/**
 * The import rules between our folders (docs/ARCHITECTURE.md §2 "The folders" and the
 * picture in §3), as data, and the pure check that applies them. `npm run lint` runs it
 * over the tree (scripts/check-imports.ts); test/unit/lint/import-rules.test.ts holds the
 * table to the tree, to the folders that exist and to each folder's README.md.
 *
 * A file belongs to the row whose `folder` is the longest prefix of its path; a file that
 * belongs to no row is itself a violation, so a new or renamed folder cannot escape the
 * rules. A row may always import its own files. Only our files are checked: which npm
 * packages and node: modules lib/ may use is Biome's rule (biome.json).
 */

export interface FolderRule {
  /** "functions/api/" (a folder, ending in "/") or a file at the root ("vitest.config.ts"). */
  folder: string;
  /** What this folder may import besides its own files: path prefixes, a folder or one file. */
  mayImport: readonly string[] | "anything";
  /** If set, only these folders (and this one) may import it, whatever their own rows say. */
  importedOnlyBy?: readonly string[];
  /** Imports that break the row today, each with why it is still there and where it goes. */
  exceptions?: readonly RuleException[];
}

export interface RuleException {
  file: string;
  imports: string;
  reason: string;
}

/** The Lambda entry points: thin handlers that wire ports (functions/README.md). */
const HANDLERS = ["functions/submit/", "functions/seal-block/", "functions/verify/"] as const;

/** A department's witness behind its function URL: runs in the department's account, not the ledger's. */
const WITNESS_HANDLER = "functions/add-checkpoint/";

/** The service folders the handlers and the router call into. */
const SERVICES = [
  "functions/api/",
  "functions/auth/",
  "functions/ledger/",
  "functions/rules/",
  "functions/sharing/",
  "functions/audit/",
  "functions/store/",
] as const;

/** Logs and metrics: not wiring, so every folder of functions/ may write them (functions/telemetry/README.md). */
const TELEMETRY = "functions/telemetry/";

export const FOLDER_RULES: readonly FolderRule[] = [
  // The executable only starts the CLI.
  { folder: "bin/", mayImport: ["cli/"] },
  // What the CLI shares with the services (routes, limits, wire types, codes) is defined
  // in lib/, so a change inside a service cannot break the CLI unnoticed.
  { folder: "cli/", mayImport: ["lib/"] },
  // The stack bundles the handlers by entry path (cdk/lib/functions.ts), never by import:
  // importing them would pull service code and the AWS SDK into synthesis.
  { folder: "cdk/", mayImport: ["lib/"] },
  // `npm start` runs the same handlers and wires the same ports as Lambda does.
  {
    folder: "local/",
    mayImport: ["functions/", "lib/"],
    exceptions: [
      {
        file: "local/start.ts",
        imports: "cli/defaults.ts",
        reason:
          "`npm start` and `zhixin` must find the same home and consortium file; localPaths and PROJECT_ROOT belong in lib/local-home.ts (PROJECT_ROOT as an argument, lib/ is pure)",
      },
    ],
  },
  // Handlers are ~30 lines: parse, call one service with the ports runtime/ built, map.
  ...HANDLERS.map((folder) => ({
    folder,
    mayImport: [...SERVICES, "functions/runtime/", TELEMETRY, "lib/"],
  })),
  // The witness's entry point calls the witness service only: no ledger service runs there.
  { folder: WITNESS_HANDLER, mayImport: ["functions/witness/", "functions/runtime/", TELEMETRY, "lib/"] },
  // The router maps HTTP onto the services; the ports come from the handler.
  {
    folder: "functions/api/",
    mayImport: [...SERVICES.filter((f) => f !== "functions/api/"), TELEMETRY, "lib/"],
  },
  // Who a request is from, and the key directories, over the store's ports.
  { folder: "functions/auth/", mayImport: ["functions/store/", TELEMETRY, "lib/"] },
  // Intake and sealing call the record rules, never the reverse. functions/auth/caller.ts
  // only: the reader takes the Caller type to decide who sees a payload.
  {
    folder: "functions/ledger/",
    mayImport: ["functions/rules/", "functions/store/", "functions/auth/caller.ts", TELEMETRY, "lib/"],
  },
  // Record rules judge a batch; intake (functions/ledger) calls them and writes what they return.
  { folder: "functions/rules/", mayImport: ["functions/store/", TELEMETRY, "lib/"] },
  // Matches and the access trail read contracts (rules), entries (ledger) and the caller.
  {
    folder: "functions/sharing/",
    mayImport: [
      "functions/rules/",
      "functions/ledger/",
      "functions/store/",
      "functions/auth/caller.ts",
      TELEMETRY,
      "lib/",
    ],
  },
  // The audit recomputes from raw items with lib/chain; it reads contracts and cosigns with
  // the rules' own parsing (functions/rules/README.md) so the two cannot drift apart.
  { folder: "functions/audit/", mayImport: ["functions/rules/", "functions/store/", TELEMETRY, "lib/"] },
  // A department's witness runs in its own account: it shares nothing with the ledger's
  // services but lib/ (the decision is lib/witness's), and keeps its own state table.
  { folder: "functions/witness/", mayImport: [TELEMETRY, "lib/"] },
  // Ports and the DynamoDB implementation know items, not the services that use them.
  { folder: "functions/store/", mayImport: [TELEMETRY, "lib/"] },
  // The wiring: the only folder that picks implementations (DynamoDB, KMS, key files), so
  // only the entry points may import it; a service gets its ports as arguments.
  {
    folder: "functions/runtime/",
    mayImport: ["functions/", "lib/"],
    importedOnlyBy: [...HANDLERS, WITNESS_HANDLER, "local/", "bench/", "test/"],
  },
  // Logs and metrics through Powertools; the metric names are lib/metrics.ts's.
  { folder: TELEMETRY, mayImport: ["lib/"] },
  // The pure core: anyone can check its output with @noble/hashes alone (STYLE.md 1).
  { folder: "lib/chain/", mayImport: [] },
  // Witness cosigning is checked from the chain's notes and checkpoints alone.
  { folder: "lib/witness/", mayImport: ["lib/chain/"] },
  // SM2 signatures (GB/T 32918.2) with SM3 from lib/chain: pure, so the web console can
  // verify the national suite's signatures with it, as Node does.
  { folder: "lib/sm2/", mayImport: ["lib/chain/"] },
  // Offline verification from a trust root: the log's formats and the quorum check only,
  // so a court's tool or a browser needs nothing else of ours.
  { folder: "lib/evidence/", mayImport: ["lib/chain/", "lib/witness/"] },
  // What the CLI, the CDK app and the services agree on: pure, and only lib/.
  { folder: "lib/", mayImport: ["lib/"] },
  // The web console runs in a browser: the pure core it verifies with (SM2 too: WebCrypto has none), the request signing
  // it signs with, the wire types; never node:crypto's parts of lib/crypto, nor a service.
  {
    folder: "console/",
    mayImport: [
      "lib/chain/",
      "lib/witness/",
      "lib/evidence/",
      "lib/sm2/",
      "lib/http-signature/",
      "lib/crypto/signer.ts",
      "lib/crypto/ecdsa-der.ts",
      "lib/protocol/",
    ],
  },
  // Examples a user copies (the S5 stream generator): they run on Node.js alone.
  { folder: "examples/", mayImport: [] },
  // Tools and tests drive everything; they are not shipped.
  { folder: "bench/", mayImport: "anything" },
  { folder: "test/", mayImport: "anything" },
  { folder: "scripts/", mayImport: "anything" },
  { folder: "vitest.config.ts", mayImport: "anything" },
];

/** One source file and the import specifiers written in it, as written. */
export interface SourceImports {
  file: string;
  imports: readonly string[];
}

export type ViolationKind = "may-import" | "imported-only-by" | "no-rule" | "unused-exception";

export interface Violation {
  kind: ViolationKind;
  file: string;
  /** The imported file, repository-relative ("" for no-rule). */
  import: string;
  /** The `folder` of the row broken (the importer's, or for imported-only-by the target's). */
  rule: string;
}

/**
 * The specifiers a TypeScript or JavaScript source imports: static `import` (type-only too),
 * `export … from`, and `import("…")` with a literal. Comments and strings are skipped, since
 * TypeScript's own scanner reads them. A dynamic import of a computed name cannot be checked.
 */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The repository path `specifier`, written in `file`, names, or undefined when it is not
 * ours (an npm package, node:…, or outside the repository). `aliases` is package.json
 * "imports" ("#chain" → "./lib/chain/index.ts"; a "#x/*" pattern too). Under NodeNext a
 * `.js` specifier names the `.ts` file beside it, so the result is the `.ts` path.
 */
export function resolveImport(
  file: string,
  specifier: string,
  aliases: Readonly<Record<string, string>>,
): string | undefined {
  let target: string | undefined;
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    target = path.posix.join(path.posix.dirname(file), specifier);
  } else if (specifier.startsWith("#")) {
    const mapped = aliasTarget(specifier, aliases);
    if (mapped !== undefined) target = path.posix.normalize(mapped);
  }
  if (target === undefined || target.startsWith("../") || path.posix.isAbsolute(target)) return undefined;
  return target.replace(/\.([mc]?)js$/, ".$1ts");
}

function aliasTarget(specifier: string, aliases: Readonly<Record<string, string>>): string | undefined {
  const exact = aliases[specifier];
  if (exact !== undefined) return exact;
  for (const [key, value] of Object.entries(aliases)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
    if (specifier.startsWith(prefix) && specifier.endsWith(suffix) && specifier.length >= key.length - 1) {
      return value.replace("*", specifier.slice(prefix.length, specifier.length - suffix.length));
    }
  }
  return undefined;
}

/** The row a repository path belongs to: the longest `folder` that is a prefix of it. */
export function ruleFor(file: string, rules: readonly FolderRule[]): FolderRule | undefined {
  let best: FolderRule | undefined;
  for (const rule of rules) {
    if (covers(rule.folder, file) && (best === undefined || rule.folder.length > best.folder.length))
      best = rule;
  }
  return best;
}

function covers(prefix: string, file: string): boolean {
  return prefix.endsWith("/") ? file.startsWith(prefix) : file === prefix;
}

/**
 * Every import among `sources` that its rows forbid, in source order; each (file, import)
 * at most once. An import listed as a row's exception is allowed.
 */
export function checkImports(
  sources: readonly SourceImports[],
  rules: readonly FolderRule[],
  aliases: Readonly<Record<string, string>>,
): Violation[] {
  const violations: Violation[] = [];
  for (const { file, imports } of sources) {
    const own = ruleFor(file, rules);
    if (own === undefined) {
      violations.push({ kind: "no-rule", file, import: "", rule: "" });
      continue;
    }
    const seen = new Set<string>();
    for (const specifier of imports) {
      const target = resolveImport(file, specifier, aliases);
      if (target === undefined || seen.has(target) || covers(own.folder, target)) continue;
      seen.add(target);
      if (own.exceptions?.some((e) => e.file === file && e.imports === target)) continue;
      const allowed = own.mayImport === "anything" || own.mayImport.some((p) => covers(p, target));
      if (!allowed) {
        violations.push({ kind: "may-import", file, import: target, rule: own.folder });
        continue;
      }
      const theirs = ruleFor(target, rules);
      if (theirs?.importedOnlyBy && !theirs.importedOnlyBy.some((p) => covers(p, file))) {
        violations.push({ kind: "imported-only-by", file, import: target, rule: theirs.folder });
      }
    }
  }
  return violations;
}

/**
 * Exceptions no source needs any more: the code was fixed, so the row must say so. Only
 * meaningful over the whole tree.
 */
export function unusedExceptions(
  sources: readonly SourceImports[],
  rules: readonly FolderRule[],
  aliases: Readonly<Record<string, string>>,
): Violation[] {
  const used = new Set<string>();
  for (const { file, imports } of sources) {
    for (const specifier of imports) used.add(`${file} ${resolveImport(file, specifier, aliases)}`);
  }
  return rules.flatMap((rule) =>
    (rule.exceptions ?? [])
      .filter((e) => !used.has(`${e.file} ${e.imports}`))
      .map((e) => ({
        kind: "unused-exception" as const,
        file: e.file,
        import: e.imports,
        rule: rule.folder,
      })),
  );
}

/** One line per violation, as `npm run lint` prints it. */
export function formatViolation(v: Violation, rules: readonly FolderRule[]): string {
  const row = rules.find((r) => r.folder === v.rule);
  const list = (prefixes: readonly string[]) => (prefixes.length > 0 ? prefixes.join(", ") : "nothing else");
  switch (v.kind) {
    case "may-import":
      return `${v.file}: imports ${v.import} (rule: ${v.rule} may import only ${row?.mayImport === "anything" ? "anything" : list(row?.mayImport ?? [])}, and its own files)`;
    case "imported-only-by":
      return `${v.file}: imports ${v.import} (rule: ${v.rule} may be imported only by ${list(row?.importedOnlyBy ?? [])})`;
    case "no-rule":
      return `${v.file}: no row of scripts/import-rules.ts covers it (rule: every folder says what it may import)`;
    case "unused-exception":
      return `${v.file}: no longer imports ${v.import} (rule: remove the exception from the ${v.rule} row of scripts/import-rules.ts)`;
  }
}
