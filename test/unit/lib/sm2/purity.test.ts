import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageAliases } from "../../../../scripts/check-imports.js";
import { checkImports, FOLDER_RULES, importSpecifiers } from "../../../../scripts/import-rules.js";
import { startBiomeProbe } from "../../../support/biome-probe.js";

// lib/sm2 runs in browsers (the web console verifies SM2 with it): biome.json's lib/sm2 block
// keeps node:, Buffer, the clock and randomness out, scripts/import-rules.ts every folder of
// ours but lib/chain. The real Biome runs here on probe files, as test/unit/lint/chain-purity
// does for lib/chain, so a loosened rule fails here.

let probe: Awaited<ReturnType<typeof startBiomeProbe>>;

beforeAll(async () => {
  probe = await startBiomeProbe(["lib/sm2"]);
});
afterAll(() => probe.close());

const lint = (path: string, source: string): Promise<string> => probe.lint(path, source);

describe("lib/sm2 purity rule", () => {
  it.each([
    ["node:crypto", 'import { sign } from "node:crypto";\nexport const s = sign;\n', "noRestrictedImports"],
    ["zod", 'import { z } from "zod";\nexport const s = z;\n', "noRestrictedImports"],
    ["lib/crypto", 'import { x } from "../crypto/keys.js";\nexport const y = x;\n', "noRestrictedImports"],
    ["Buffer", 'export const b = Buffer.from("a");\n', "noRestrictedGlobals"],
    [
      "WebCrypto's randomness",
      "export const r = crypto.getRandomValues(new Uint8Array(32));\n",
      "noRestrictedGlobals",
    ],
    ["the clock", "export const t = Date.now();\n", "noRestrictedGlobals"],
    ["process.env", "export const e = process.env.X;\n", "noRestrictedGlobals"],
  ])("rejects %s", async (_, source, rule) => {
    expect(await lint("lib/sm2/probe.ts", source)).toContain(rule);
  });

  it("accepts #chain, @noble/curves (nested paths too), @noble/hashes and its own files", async () => {
    const source =
      'import { weierstrass } from "@noble/curves/abstract/weierstrass.js";\nimport { createHmacDrbg } from "@noble/curves/utils.js";\nimport { hmac } from "@noble/hashes/hmac.js";\nimport { sm3 } from "#chain";\nimport { x } from "./x.js";\nexport const all = [weierstrass, createHmacDrbg, hmac, sm3, x];\n';
    expect(await lint("lib/sm2/ok.ts", source)).toBe("");
  });
});

describe("lib/sm2's import rule", () => {
  const violations = (source: string) =>
    checkImports(
      [{ file: "lib/sm2/probe.ts", imports: importSpecifiers(source) }],
      FOLDER_RULES,
      packageAliases(),
    );

  it("refuses another lib/ folder", () => {
    expect(violations('import { x } from "../crypto/keys.js";')).toEqual([
      { kind: "may-import", file: "lib/sm2/probe.ts", import: "lib/crypto/keys.ts", rule: "lib/sm2/" },
    ]);
  });

  it("allows lib/chain, as #chain or by path", () => {
    expect(violations('import { sm3 } from "#chain";\nimport { y } from "../chain/sm3.js";')).toEqual([]);
  });
});
