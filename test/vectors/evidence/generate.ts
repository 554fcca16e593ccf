/**
 * Writes the evidence-bundle vectors next to this file (docs/formats/evidence.md):
 *
 *   npx tsx test/vectors/evidence/generate.ts
 *   npx biome check --write test/vectors/evidence
 *
 * Every key is Ed25519 from a fixed seed and every time and nonce is fixed, so a run
 * writes the same files again; test/unit/lib/evidence checks that they are what the
 * builders (cases.ts, example.ts) make, and runs every case.
 */
import { writeFileSync } from "node:fs";
import { vectorFiles } from "./files.js";

for (const [name, content] of Object.entries(vectorFiles())) {
  writeFileSync(new URL(name, import.meta.url), `${JSON.stringify(content, null, 2)}\n`);
}
