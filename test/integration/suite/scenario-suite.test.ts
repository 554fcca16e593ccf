import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatVerifierKey,
  fromBase64,
  fromUtf8,
  GM,
  noteKeyOf,
  noteVerifierOf,
  openCheckpoint,
  parseCosignatureVerifierKey,
  parseVerifierKey,
  type SignatureAlgorithm,
  SUITE_COSIGNATURE_ALGORITHM,
  SUITE_SEALER_ALGORITHM,
} from "#chain";
import { witnessQuorumOf } from "../../../lib/consortium/consortium.js";
import { keySignatureCheckOf } from "../../../lib/crypto/verify.js";
import { trustFile } from "../../../lib/local-home.js";
import { checkWitnessQuorum } from "../../../lib/witness/index.js";
import { startTestNode, TEST_SUITE, type TestNode, testSuite } from "../../support/local-node.js";
import { readObject } from "../../support/s3.js";
import { TEST_SM2_ID } from "../../support/test-suite.js";

// The scenario tests run twice: in the integration project under intl, and in the gm
// project (vitest.config.ts) under gm. This file runs in both, so that a gm run that
// silently fell back to intl fails here: the ledger the scenarios talk to has the suite
// in its genesis block, its sealer signs with the suite's algorithm, and its departments'
// keys are of it.

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode({ introduceKeys: true });
});
afterAll(async () => {
  await t?.stop();
});

describe(`the scenario tests' ledger runs under ZHIXIN_TEST_SUITE (${TEST_SUITE})`, () => {
  it("its consortium, genesis block, sealer and departments' keys are of that suite", async () => {
    expect(t.node.consortium.suite).toBe(TEST_SUITE);
    expect(await t.seal()).toMatchObject({ sealed: true, height: 1 });
    const block = await t.send({ method: "GET", path: "/v1/blocks/1", as: "hf-haikou" });
    expect(block.status, block.text).toBe(200);
    expect(block.body.header.suite).toBe(TEST_SUITE);
    // Under gm the file sets its own SM2 identifier (test/support/test-suite.ts), recorded here.
    expect(block.body.header.sm2Id).toBe(TEST_SUITE === "gm" ? TEST_SM2_ID : undefined);
    expect(block.body.signature.alg).toBe(SUITE_SEALER_ALGORITHM[TEST_SUITE]);
    // The checkpoint is signed by the sealer's key as a note key of the suite's type.
    const trust = JSON.parse(await readFile(trustFile(t.node.home), "utf8")) as {
      keys: Array<{ role: string; alg: SignatureAlgorithm; spki: string }>;
    };
    const sealer = trust.keys.find((k) => k.role === "sealer");
    const noteKey = noteKeyOf(SUITE_SEALER_ALGORITHM[TEST_SUITE], fromBase64(sealer?.spki ?? ""));
    expect(noteKey.type).toBe(TEST_SUITE === "gm" ? 0xff : 0x01);
    const vkey = parseVerifierKey(formatVerifierKey(t.node.consortium.log, noteKey.type, noteKey.publicKey));
    const opened = openCheckpoint(block.body.checkpoint, [
      noteVerifierOf(vkey, keySignatureCheckOf(testSuite)),
    ]);
    expect(opened.size).toBe(block.body.header.logSize);
    if (TEST_SUITE === "gm") {
      // The signature binds the file's identifier: checked with the default's Z_A, it fails.
      expect(() =>
        openCheckpoint(block.body.checkpoint, [noteVerifierOf(vkey, keySignatureCheckOf(GM))]),
      ).toThrow(/signature/);
    }
    const keys = await t.send({ method: "GET", path: "/v1/keys/hf-haikou", as: "hf-haikou" });
    expect(keys.status, keys.text).toBe(200);
    expect(keys.body.keys.map((k: { alg: string }) => k.alg)).toEqual([SUITE_SEALER_ALGORITHM[TEST_SUITE]]);
  });

  it("its witnesses cosign with the suite's cosignature algorithm, and the published checkpoint meets the quorum", async () => {
    const submitted = await t.submit("hf-haikou", [
      {
        type: "housing-fund.deposit-certificate",
        data: { citizen: "460100199001011234", months: 36, status: "active" },
      },
    ]);
    expect(submitted.status, submitted.text).toBe(202);
    expect(await t.seal()).toMatchObject({ sealed: true });
    const witnesses = t.node.witnesses.map((w) => parseCosignatureVerifierKey(w.vkey));
    expect(witnesses.length).toBe(3);
    expect(witnesses.map((w) => w.alg)).toEqual(Array(3).fill(SUITE_COSIGNATURE_ALGORITHM[TEST_SUITE]));
    const published = fromUtf8(await readObject(t.node.s3.client, t.node.tilesBucket, "checkpoint"));
    const quorum = checkWitnessQuorum(
      published,
      { witnesses, threshold: witnessQuorumOf(t.node.consortium) },
      keySignatureCheckOf(testSuite),
    );
    expect(quorum.findings).toEqual([]);
    expect(quorum.witnessed.length).toBe(3);
    if (TEST_SUITE === "gm") {
      // The witnesses cosign with the file's identifier too: under the default none counts.
      const underDefault = checkWitnessQuorum(
        published,
        { witnesses, threshold: witnessQuorumOf(t.node.consortium) },
        keySignatureCheckOf(GM),
      );
      expect(underDefault.witnessed).toEqual([]);
    }
  });
});
