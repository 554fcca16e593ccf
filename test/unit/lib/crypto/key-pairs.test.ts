import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS, toHex } from "#chain";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";

// The SPKI each algorithm's keys are recorded in (lib/chain key-records.ts): a new key must have it.
const SPKI_PREFIX = {
  ed25519: "302a300506032b6570032100",
  "ecdsa-p256-sha256": "3059301306072a8648ce3d020106082a8648ce3d03010703420004",
  "sm2-sm3": "3059301306072a8648ce3d020106082a811ccf5501822d03420004",
} as const;

describe("generateKeyPair", () => {
  it.each(SIGNATURE_ALGORITHMS)("makes a %s key pair in the SPKI form the ledger records", (alg) => {
    const { privateKey, publicKey } = generateKeyPair(alg);
    expect(privateKey.type).toBe("private");
    const spki = toHex(publicKey.export({ format: "der", type: "spki" }));
    expect(spki.startsWith(SPKI_PREFIX[alg])).toBe(true);
    expect(spki.length).toBe(SPKI_PREFIX[alg].length + (alg === "ed25519" ? 64 : 128));
  });

  it("makes a new key each time", () => {
    const spki = () => toHex(generateKeyPair("sm2-sm3").publicKey.export({ format: "der", type: "spki" }));
    expect(spki()).not.toBe(spki());
  });
});
