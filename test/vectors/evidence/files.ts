import { parseTrustRoot, verifyEvidenceBundle } from "../../../lib/evidence/index.js";
import { buildCases, TRUST } from "./cases.js";
import { buildExample, EXAMPLE_INPUTS } from "./example.js";
import { checks } from "./ledger.js";

/** The contents of this folder's two vector files, by file name (generate.ts writes them). */
export function vectorFiles(): Record<string, unknown> {
  const example = buildExample(EXAMPLE_INPUTS);
  return {
    "cases.json": {
      description:
        "Evidence bundles (docs/formats/evidence.md) of one internet court's log, each verified against `trustRoot` with the signature checks of §3 (Ed25519; P-256 as r || s over SHA-256) and `minWitnesses` when given (else the root's quorum). `expect` is \"ok\" or the code of the first check that fails, in §3's order, and `pointer` the JSON Pointer into the bundle that check names (none for the file's own form as a whole, the sealer's signature and file checks). With `file` (base64), once the bundle verifies, the file is checked against the record's member `field` (§5). A bundle that does not verify says in `wrong` what is wrong with it: each changes exactly one thing of an honest bundle, or of the log it was cut from.",
      source:
        "Written by test/vectors/evidence/generate.ts from cases.ts: Ed25519 keys from fixed seeds, fixed times and nonces; expected codes by hand.",
      trustRoot: TRUST.text,
      cases: buildCases(),
    },
    "example.json": {
      description:
        "The worked example of docs/formats/evidence.md §7: its inputs, the trust root, the bundle file and what verifying it proves.",
      source: "Written by test/vectors/evidence/generate.ts from example.ts.",
      inputs: EXAMPLE_INPUTS,
      values: example.values,
      trustRoot: example.trustRoot,
      bundle: example.bundle,
      proves: verifyEvidenceBundle(example.bundle, parseTrustRoot(example.trustRoot), checks),
    },
  };
}
