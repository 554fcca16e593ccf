import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBiomeProbe } from "../../support/biome-probe.js";

// The rules that keep lib/chain and lib/witness pure live in biome.json. This runs the real Biome with
// that configuration on probe files, so a loosened rule fails here, not in review.

let probe: Awaited<ReturnType<typeof startBiomeProbe>>;

beforeAll(async () => {
  probe = await startBiomeProbe(["lib/chain", "lib/protocol", "lib/witness", "functions"]);
});
afterAll(() => probe.close());

const lint = (path: string, source: string): Promise<string> => probe.lint(path, source);

describe("lib/chain purity rule", () => {
  it.each([
    [
      "an AWS SDK import",
      'import { KMSClient } from "@aws-sdk/client-kms";\nexport const k = KMSClient;\n',
      "noRestrictedImports",
    ],
    ["zod", 'import { z } from "zod";\nexport const s = z;\n', "noRestrictedImports"],
    [
      "node:fs",
      'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n',
      "noRestrictedImports",
    ],
    [
      "code outside lib/chain",
      'import { x } from "../../functions/ledger/x.js";\nexport const y = x;\n',
      "noRestrictedImports",
    ],
    ["process.env", "export const e = process.env.X;\n", "noRestrictedGlobals"],
    ["the clock", "export const t = Date.now();\n", "noRestrictedGlobals"],
    ["Buffer", 'export const b = Buffer.from("a");\n', "noRestrictedGlobals"],
  ])("rejects %s", async (_, source, rule) => {
    expect(await lint("lib/chain/probe.ts", source)).toContain(rule);
  });

  it("accepts @noble/hashes, canonicalize and its own files", async () => {
    const source =
      'import { sha256 } from "@noble/hashes/sha2.js";\nimport canonicalize from "canonicalize";\nimport { x } from "./x.js";\nexport const all = [sha256, canonicalize, x];\n';
    expect(await lint("lib/chain/ok.ts", source)).toBe("");
  });

  it("applies only to lib/", async () => {
    expect(
      await lint(
        "functions/free.ts",
        'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n',
      ),
    ).toBe("");
  });
});

describe("lib/ purity rule (every folder of lib/)", () => {
  it.each([
    ["an AWS SDK import", 'import { KMSClient } from "@aws-sdk/client-kms";\nexport const k = KMSClient;\n'],
    ["node:fs", 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n'],
    ["node:fs/promises", 'import { readFile } from "node:fs/promises";\nexport const r = readFile;\n'],
    ["a service folder", 'import { x } from "../../functions/ledger/x.js";\nexport const y = x;\n'],
    ["the CLI", 'import { x } from "../../cli/x.js";\nexport const y = x;\n'],
    ["local mode", 'import { x } from "../../local/x.js";\nexport const y = x;\n'],
  ])("rejects %s", async (_, source) => {
    expect(await lint("lib/protocol/probe.ts", source)).toContain("noRestrictedImports");
  });

  it("rejects process.env", async () => {
    expect(await lint("lib/protocol/env.ts", "export const e = process.env.X;\n")).toContain(
      "noRestrictedGlobals",
    );
  });

  it("accepts zod, node:crypto and other lib/ folders", async () => {
    const source =
      'import { createHash } from "node:crypto";\nimport { z } from "zod";\nimport { x } from "../chain/x.js";\nexport const all = [createHash, z, x];\n';
    expect(await lint("lib/protocol/ok.ts", source)).toBe("");
  });

  it("keeps lib/chain's stricter rule for lib/chain (zod is still refused there)", async () => {
    expect(await lint("lib/chain/zod.ts", 'import { z } from "zod";\nexport const s = z;\n')).toContain(
      "noRestrictedImports",
    );
  });
});

describe("lib/witness purity rule (lib/chain and its own files only)", () => {
  it.each([
    [
      "node:crypto",
      'import { verify } from "node:crypto";\nexport const v = verify;\n',
      "noRestrictedImports",
    ],
    ["zod", 'import { z } from "zod";\nexport const s = z;\n', "noRestrictedImports"],
    [
      "an AWS SDK import",
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nexport const d = DynamoDBClient;\n',
      "noRestrictedImports",
    ],
    [
      "another lib/ folder",
      'import { x } from "../consortium/x.js";\nexport const y = x;\n',
      "noRestrictedImports",
    ],
    [
      "a service folder",
      'import { x } from "../../functions/witness/x.js";\nexport const y = x;\n',
      "noRestrictedImports",
    ],
    ["the clock", "export const t = Date.now();\n", "noRestrictedGlobals"],
    ["Buffer", 'export const b = Buffer.from("a");\n', "noRestrictedGlobals"],
    ["process.env", "export const e = process.env.X;\n", "noRestrictedGlobals"],
  ])("rejects %s", async (_, source, rule) => {
    expect(await lint("lib/witness/probe.ts", source)).toContain(rule);
  });

  it("accepts lib/chain as #chain and its own files", async () => {
    const source =
      'import { toHex } from "#chain";\nimport { x } from "./x.js";\nexport const all = [toHex, x];\n';
    expect(await lint("lib/witness/ok.ts", source)).toBe("");
  });
});
