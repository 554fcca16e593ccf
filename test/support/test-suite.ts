import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CryptoSuite, type SuiteName, sameSuite, suiteLabel, suiteNamed } from "#chain";
import { type ExampleConsortium, exampleConsortium, type Json } from "./consortium-file.js";

/**
 * The suite the scenario tests run under: ZHIXIN_TEST_SUITE, intl when unset. The gm
 * project (vitest.config.ts) runs them again under gm, on consortium.example.json made a
 * gm file as a platform team would: "suite": "gm", every alg left to the suite's (SM2);
 * its witnesses stay, and cosign with SM2 (docs/formats/witness.md §1.7). Both the test
 * node (./local-node.ts) and the CLI's consortium (./cli.ts) run on this file, and the
 * CLI is spawned with it.
 *
 * The gm file also sets its own SM2 identifier, TEST_SM2_ID (docs/formats/sm2.md §2), so
 * that every signature a scenario makes and checks shows the identifier carried from the
 * file to the signer and the verifier: a part that fell back to the default
 * 1234567812345678 would make or expect signatures the others refuse. The default's own
 * end-to-end run is docs/walkthroughs/gm.md's, on examples/consortium.gm.json.
 */
export const TEST_SUITE: SuiteName = process.env.ZHIXIN_TEST_SUITE === "gm" ? "gm" : "intl";
/** The gm test consortium's SM2 identifier: not the default, and the shape a department would pick. */
export const TEST_SM2_ID = "zhixin-test@gov.example";
/** TEST_SUITE (with TEST_SM2_ID under gm), for a test that recomputes or checks what the node stores. */
export const testSuite: CryptoSuite = suiteNamed(TEST_SUITE, TEST_SUITE === "gm" ? TEST_SM2_ID : undefined);

const EXAMPLE = fileURLToPath(new URL("../../consortium.example.json", import.meta.url));

/** consortium.example.json under TEST_SUITE: as it is, or made a gm file. */
export function testExampleConsortium(): ExampleConsortium {
  const example = exampleConsortium();
  if (TEST_SUITE === "intl") return example;
  const members = (list: unknown) => ((list ?? []) as Json[]).map(({ alg: _alg, ...m }) => m);
  const gm = {
    ...example,
    suite: "gm",
    sm2Id: TEST_SM2_ID,
    sealer: {},
    departments: members(example.departments),
  };
  if (example.auditors !== undefined) Object.assign(gm, { auditors: members(example.auditors) });
  return gm;
}

/** The example consortium file under TEST_SUITE: the file itself, or its gm form written into `dir`. */
export async function testConsortiumFile(dir: string): Promise<string> {
  if (TEST_SUITE === "intl") return EXAMPLE;
  const file = join(dir, "consortium.gm.json");
  await writeFile(file, JSON.stringify(testExampleConsortium()));
  return file;
}

/**
 * Fails a test node started under another suite than TEST_SUITE's: in the gm project a
 * scenario test that built its consortium from the intl example would otherwise pass
 * under intl and be counted as a gm run.
 */
export function assertTestSuite(suite: CryptoSuite, what: string): void {
  if (!sameSuite(suite, testSuite))
    throw new Error(
      `${what} runs under the ${suiteLabel(suite)} suite, but the tests' is ${suiteLabel(testSuite)}: build its consortium file with testExampleConsortium()`,
    );
}
