import { describe, expect, it, vi } from "vitest";
import {
  applyKeyRecord,
  EMPTY_KEY_HISTORY,
  foldKeyRecords,
  fromBase64,
  INTL,
  type KeyRecordEntry,
  keyAt,
  keyPopMessage,
} from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";
import { keyAddEntry, nodeVerify, vectorKey } from "./key-vectors.js";

// The fold's interface beyond the vectors (test/vectors/key-history): what it records per
// key, what it asks the signature check, and what it refuses to be called with.

const a1 = vectorKey("a1");
const a2 = vectorKey("a2");
const s1 = vectorKey("s1");

/** keyAddEntry with this file's defaults: the key introduces itself, under the entry id add-<name>. */
const addOf = (k: typeof a1, at: string, signedBy = k.keyId, entryId = `add-${k.name}`): KeyRecordEntry =>
  keyAddEntry(k, at, signedBy, entryId);

const T0 = "2026-11-21T08:00:00.000Z";
const T1 = "2026-11-21T08:00:01.000Z";
const T2 = "2026-11-21T08:00:02.000Z";
const T3 = "2026-11-21T08:00:03.000Z";

describe("applyKeyRecord", () => {
  it("records the key and the entries that made its state", () => {
    const { history } = foldKeyRecords(
      INTL,
      [
        addOf(a1, T0),
        addOf(a2, T1, a1.keyId),
        {
          entryId: "retire-a1",
          writer: "hf-haikou",
          signedBy: a2.keyId,
          receivedAt: T2,
          type: "zhixin.key.retire",
          data: { keyId: a1.keyId },
        },
        {
          entryId: "revoke-a1",
          writer: "hf-haikou",
          signedBy: a2.keyId,
          receivedAt: T3,
          type: "zhixin.key.revoke",
          data: { keyId: a1.keyId, compromisedSince: T1 },
        },
        {
          entryId: "revoke-a2",
          writer: "hf-haikou",
          signedBy: a2.keyId,
          receivedAt: T3,
          type: "zhixin.key.revoke",
          data: { keyId: a2.keyId, compromisedSince: T3 },
        },
      ],
      nodeVerify,
    );
    expect(history.keys.get(a1.keyId)).toEqual({
      keyId: a1.keyId,
      owner: "hf-haikou",
      role: "department",
      alg: "ed25519",
      spki: fromBase64(a1.spki),
      validFrom: T0,
      validUntil: T2,
      compromisedSince: T1,
      addEntry: "add-a1",
      retireEntry: "retire-a1",
      revokeEntry: "revoke-a1",
    });
    expect(history.keys.get(a2.keyId)).toMatchObject({
      validUntil: T3,
      compromisedSince: T3,
      retireEntry: "revoke-a2",
      revokeEntry: "revoke-a2",
    });
  });

  it("never changes the history it is given", () => {
    const first = applyKeyRecord(INTL, EMPTY_KEY_HISTORY, addOf(a1, T0), nodeVerify);
    if (!("history" in first)) throw new Error("a1's first add must count");
    const second = applyKeyRecord(INTL, first.history, addOf(a2, T1, a1.keyId), nodeVerify);
    expect(EMPTY_KEY_HISTORY.keys.size).toBe(0);
    expect([...first.history.keys.keys()]).toEqual([a1.keyId]);
    expect("history" in second && [...second.history.keys.keys()]).toEqual([a1.keyId, a2.keyId]);
  });

  it("asks the signature check about the pop only, with the key's alg and spki", () => {
    const verify = vi.fn(nodeVerify);
    applyKeyRecord(INTL, EMPTY_KEY_HISTORY, addOf(s1, T0), verify);
    expect(verify.mock.calls).toEqual([
      ["ecdsa-p256-sha256", fromBase64(s1.spki), keyPopMessage(s1.keyId), fromBase64(s1.pop)],
    ]);
  });

  it("checks no signature for a record refused before the pop", () => {
    const verify = vi.fn(nodeVerify);
    const step = applyKeyRecord(INTL, EMPTY_KEY_HISTORY, { ...addOf(a1, T0), writer: "hf-sanya" }, verify);
    expect("refusal" in step && step.refusal.code).toBe("KEY_NOT_OWNED");
    expect(verify).not.toHaveBeenCalled();
  });

  it("takes a signature check that throws on the key as one that does not verify (KEY_ID_INVALID)", () => {
    const step = applyKeyRecord(INTL, EMPTY_KEY_HISTORY, addOf(a1, T0), () => {
      throw new Error("unreadable key");
    });
    expect("refusal" in step && step.refusal.code).toBe("KEY_ID_INVALID");
  });

  it.each(["2026-11-21T08:00:00Z", "2026-11-21 08:00:00.000Z", ""])(
    "refuses to be called with receivedAt %j (INVALID_FORMAT)",
    (receivedAt) => {
      expectChainError(
        () => applyKeyRecord(INTL, EMPTY_KEY_HISTORY, addOf(a1, receivedAt), nodeVerify),
        "INVALID_FORMAT",
      );
    },
  );
});

describe("foldKeyRecords", () => {
  it("continues from a history an earlier fold gave", () => {
    const records = [addOf(a1, T0), addOf(a2, T1, a1.keyId), addOf(s1, T2), addOf(a2, T3, a1.keyId, "again")];
    const all = foldKeyRecords(INTL, records, nodeVerify);
    const before = foldKeyRecords(INTL, records.slice(0, 2), nodeVerify);
    const after = foldKeyRecords(INTL, records.slice(2), nodeVerify, before.history);
    expect(after.history).toEqual(all.history);
    expect(after.refused).toEqual(all.refused);
    expect(all.refused.map((r) => [r.entryId, r.code])).toEqual([["again", "KEY_ID_TAKEN"]]);
  });
});

describe("keyAt", () => {
  const { history } = foldKeyRecords(
    INTL,
    [
      addOf(a1, T0),
      {
        entryId: "revoke",
        writer: "hf-haikou",
        signedBy: a1.keyId,
        receivedAt: T2,
        type: "zhixin.key.revoke",
        data: { keyId: a1.keyId, compromisedSince: T1 },
      },
    ],
    nodeVerify,
  );

  it("gives the key with every answer but KEY_UNKNOWN", () => {
    const key = history.keys.get(a1.keyId);
    expect(keyAt(history, a1.keyId, T0)).toEqual({ valid: true, key });
    expect(keyAt(history, a1.keyId, T1)).toEqual({ valid: false, code: "KEY_REVOKED", key });
    expect(keyAt(history, a1.keyId, "2026-11-21T07:59:59.999Z")).toEqual({
      valid: false,
      code: "KEY_NOT_VALID_AT_TIME",
      key,
    });
    expect(keyAt(history, a2.keyId, T0)).toEqual({ valid: false, code: "KEY_UNKNOWN" });
  });

  it("compares instants to the millisecond", () => {
    expect(keyAt(history, a1.keyId, "2026-11-21T08:00:00.999Z").valid).toBe(true);
    expect(keyAt(history, a1.keyId, "2026-11-21T08:00:01.000Z").valid).toBe(false);
  });

  it.each(["2026-11-21T08:00:00Z", "2026-11-21T16:00:00.000+08:00", "yesterday"])(
    "refuses to be asked about %j (INVALID_FORMAT)",
    (at) => {
      expectChainError(() => keyAt(history, a1.keyId, at), "INVALID_FORMAT");
    },
  );
});
