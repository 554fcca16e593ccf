import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  applyKeyRecord,
  deriveKeyId,
  EMPTY_KEY_HISTORY,
  foldKeyRecords,
  fromBase64,
  INTL,
  isDerivedKeyId,
  type KeyHistory,
  keyAt,
  keyPopMessage,
  OWNER_ALONE,
} from "#chain";
import { nodeVerify, recordEntry, vectorCases, vectorKeys } from "./key-vectors.js";

// The key-history vectors (test/vectors/key-history, docs/FORMATS.md §10): outcomes
// written by hand from the design's rules, keys and pops made with node:crypto.

describe("key-history vector keys", () => {
  it.each(vectorKeys.map((k) => [k.name, k] as const))(
    "%s: its id is derived from its SPKI, its pop verifies",
    (_, k) => {
      const spki = fromBase64(k.spki);
      expect(k.keyId).toBe(`${k.owner}/${createHash("sha256").update(spki).digest("hex").slice(0, 16)}`);
      expect(deriveKeyId(INTL, k.owner, spki)).toBe(k.keyId);
      expect(isDerivedKeyId(k.keyId)).toBe(true);
      expect(nodeVerify(k.alg, spki, keyPopMessage(k.keyId), fromBase64(k.pop))).toBe(true);
    },
  );

  it("has both algorithms, and an auditor", () => {
    expect(new Set(vectorKeys.map((k) => k.alg))).toEqual(new Set(["ed25519", "ecdsa-p256-sha256"]));
    expect(vectorKeys.some((k) => k.role === "auditor")).toBe(true);
  });
});

describe.each(vectorCases.map((c) => [c.description, c] as const))("key-history vectors: %s", (_, c) => {
  const governance = c.governance ?? OWNER_ALONE;
  const { history, refused } = foldKeyRecords(
    INTL,
    c.records.map(recordEntry),
    nodeVerify,
    EMPTY_KEY_HISTORY,
    governance,
  );

  it("each record counts or is refused with the expected code, in order", () => {
    expect(refused.map((r) => [r.entryId, r.code])).toEqual(
      c.records.filter((r) => r.expect !== "counts").map((r) => [r.entryId, r.expect]),
    );
    for (const r of c.records) expect(r.expect === "counts" || r.wrong !== undefined).toBe(true);
  });

  it("gives the expected keys, in the order added", () => {
    expect(
      [...history.keys.values()].map(({ keyId, validFrom, validUntil, compromisedSince }) => ({
        keyId,
        validFrom,
        ...(validUntil === undefined ? {} : { validUntil }),
        ...(compromisedSince === undefined ? {} : { compromisedSince }),
      })),
    ).toEqual(c.history);
  });

  it("leaves the expected records awaiting cosigns", () => {
    expect(
      [...history.pending.values()].map((p) => ({ entryId: p.entry.entryId, cosigners: p.cosigners })),
    ).toEqual(c.pending ?? []);
  });

  it.each(c.keyAt.map((q) => [q.keyId, q.at, q.expect] as const))("keyAt %s at %s: %s", (keyId, at, want) => {
    const answer = keyAt(history, keyId, at);
    expect(answer.valid ? "valid" : answer.code).toBe(want);
  });

  it("intake's step, record by record, agrees with the fold", () => {
    let h: KeyHistory = EMPTY_KEY_HISTORY;
    for (const r of c.records) {
      const step = applyKeyRecord(INTL, h, recordEntry(r), nodeVerify, governance);
      if ("refusal" in step) expect(step.refusal.code).toBe(r.expect);
      else {
        expect(r.expect).toBe("counts");
        expect(step.history).not.toBe(h);
        h = step.history;
      }
    }
    expect(h).toEqual(history);
  });
});
