import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  contentDigest,
  deriveKeyId,
  INTL,
  type JsonValue,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
  keyPopMessage,
} from "#chain";
import { prepareCosigns } from "../../../../functions/rules/cosign.js";
import { checkRecords, type PreparedBatch, type RuleEffects } from "../../../../functions/rules/index.js";
import { keyCosignOwner, keyRecordsRule } from "../../../../functions/rules/key-records.js";
import { uniqueKeyFor } from "../../../../functions/rules/unique-keys.js";
import { StoreInvariantError } from "../../../../functions/store/ports.js";
import { keyIndex } from "../../../../lib/store-layout.js";
import { batchOf, envelope, MemoryRuleStore, SUBJECT_KEY, testConsortium } from "./fixtures.js";

// The key-records rule (functions/rules/key-records.ts) as intake applies it: each key
// record is judged by lib/chain's fold against its owner's committed key records (K#),
// serialised per owner by a claim on (owner, how many it has), and travels alone. The
// fold's own rules are tested in test/unit/lib/chain/key-history.test.ts.

const consortium = testConsortium();

interface TestKey {
  keyId: string;
  privateKey: KeyObject;
  spki: Buffer;
}

function newKey(owner: string): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const spki = publicKey.export({ format: "der", type: "spki" });
  return { keyId: deriveKeyId(INTL, owner, spki), privateKey, spki };
}

function addData(owner: string, key: TestKey, over: Record<string, unknown> = {}) {
  return {
    keyId: key.keyId,
    owner,
    role: "department",
    alg: "ed25519",
    spki: key.spki.toString("base64"),
    pop: sign(null, keyPopMessage(key.keyId), key.privateKey).toString("base64"),
    ...over,
  };
}

let clock = 0;
/** A one-record batch by `dept` signed with `signedBy`, received a second after the last. */
function batch(dept: string, signedBy: string, type: string, data: Record<string, unknown>): PreparedBatch {
  clock += 1;
  const nonce = `nonce-${String(clock).padStart(10, "0")}`;
  const b = batchOf(dept, [{ type, data }], nonce);
  return {
    ...b,
    submitter: { department: dept, keyId: signedBy, nonce },
    batchKey: `${signedBy}#${nonce}`,
    receivedAt: new Date(Date.UTC(2026, 10, 21, 8, 0, clock)).toISOString(),
  };
}

/** The demo consortium, whose department's own key records need `cosigns` other departments' cosigns. */
const governed = (cosigns: number) => ({ ...consortium, keyRecords: { cosigns } });

const deps = (store: MemoryRuleStore, c = consortium) => ({ store, consortium: c, subjectKey: SUBJECT_KEY });

/** Writes what intake would for `b`: its index entries, then the committed batch with its payload. */
function commit(store: MemoryRuleStore, b: PreparedBatch, effects: RuleEffects | undefined): void {
  store.index.push(...(effects?.index ?? []));
  const [r] = b.records;
  store.commit(
    b.batchKey,
    [
      envelope({
        id: b.entryIds[0] as string,
        dept: b.submitter.department,
        type: r?.type ?? "",
        receivedAt: b.receivedAt,
      }),
    ],
    [canonicalJson((r?.data ?? {}) as JsonValue)],
  );
}

async function apply(store: MemoryRuleStore, b: PreparedBatch, c = consortium) {
  return keyRecordsRule.apply?.(b, deps(store, c));
}

async function refusal(
  store: MemoryRuleStore,
  b: PreparedBatch,
  c = consortium,
): Promise<string | undefined> {
  return apply(store, b, c).then(
    () => undefined,
    (e: { code?: string }) => e.code,
  );
}

/** hf-haikou's first key, introduced by itself and committed. */
async function introduced(store: MemoryRuleStore) {
  const first = newKey("hf-haikou");
  const b = batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", first));
  commit(store, b, await apply(store, b));
  return first;
}

describe("keyRecordsRule", () => {
  it("owns the three key record types", () => {
    expect([KEY_ADD_TYPE, KEY_RETIRE_TYPE, KEY_REVOKE_TYPE].every((t) => keyRecordsRule.ownsType?.(t))).toBe(
      true,
    );
    expect(keyRecordsRule.ownsType?.("zhixin.cosign")).toBe(false);
  });

  it("a key record travels alone, in its type's form: else KEY_RECORD_NOT_ALONE or SCHEMA_VIOLATION, before the store", () => {
    const key = newKey("hf-haikou");
    const add = { type: KEY_ADD_TYPE, data: addData("hf-haikou", key) };
    const other = { type: "x.note", data: { who: "a", n: 1, m: 2 } };
    expect(() => checkRecords([add, other], consortium)).toThrow(
      expect.objectContaining({ code: "KEY_RECORD_NOT_ALONE" }),
    );
    expect(() => checkRecords([other, add], consortium)).toThrow(
      expect.objectContaining({ code: "KEY_RECORD_NOT_ALONE" }),
    );
    expect(() =>
      checkRecords([{ type: KEY_RETIRE_TYPE, data: { keyId: key.keyId, extra: 1 } }], consortium),
    ).toThrow(expect.objectContaining({ code: "SCHEMA_VIOLATION" }));
    expect(() => checkRecords([add], consortium)).not.toThrow();
  });

  it("a first key introduced by itself: claims (owner, 0) and is indexed under K#<owner>", async () => {
    const store = new MemoryRuleStore();
    const key = newKey("hf-haikou");
    const data = addData("hf-haikou", key);
    const b = batch("hf-haikou", key.keyId, KEY_ADD_TYPE, data);
    const effects = await apply(store, b);
    expect(effects?.claims?.map((c) => c.claim)).toEqual([
      {
        key: uniqueKeyFor(INTL, SUBJECT_KEY, "zhixin.key", ["hf-haikou", 0]),
        batchKey: b.batchKey,
        entryId: b.entryIds[0],
        claimedAt: b.receivedAt,
      },
    ]);
    expect(effects?.claims?.[0]?.duplicate?.().code).toBe("KEY_STATE_CONFLICT");
    expect(effects?.index).toEqual([
      {
        index: keyIndex("hf-haikou"),
        entryId: b.entryIds[0],
        batchKey: b.batchKey,
        receivedAt: b.receivedAt,
        position: 0,
        attrs: {
          type: KEY_ADD_TYPE,
          dept: "hf-haikou",
          keyId: key.keyId,
          data: JSON.stringify(data, Object.keys(data).sort()),
        },
      },
    ]);
  });

  it("a first key signed by any other key is KEY_NOT_OWNED; a key with another id or a false pop KEY_ID_INVALID", async () => {
    const store = new MemoryRuleStore();
    const key = newKey("hf-haikou");
    const other = newKey("hf-haikou");
    expect(
      await refusal(store, batch("hf-haikou", other.keyId, KEY_ADD_TYPE, addData("hf-haikou", key))),
    ).toBe("KEY_NOT_OWNED");
    expect(
      await refusal(
        store,
        batch("hf-haikou", key.keyId, KEY_ADD_TYPE, addData("hf-haikou", key, { keyId: other.keyId })),
      ),
    ).toBe("KEY_ID_INVALID");
    const falsePop = sign(null, keyPopMessage(key.keyId), other.privateKey).toString("base64");
    expect(
      await refusal(
        store,
        batch("hf-haikou", key.keyId, KEY_ADD_TYPE, addData("hf-haikou", key, { pop: falsePop })),
      ),
    ).toBe("KEY_ID_INVALID");
    // An auditor may not introduce a department's key (another department may propose it:
    // a recovery, below).
    const sanya = newKey("hf-sanya");
    expect(
      await refusal(store, batch("auditor", sanya.keyId, KEY_ADD_TYPE, addData("hf-sanya", sanya))),
    ).toBe("KEY_NOT_OWNED");
    expect(store.index).toEqual([]);
  });

  it("rotation: the next key is added by a valid key of the owner, never by itself; one key id once", async () => {
    const store = new MemoryRuleStore();
    const first = await introduced(store);
    const next = newKey("hf-haikou");
    expect(
      await refusal(store, batch("hf-haikou", next.keyId, KEY_ADD_TYPE, addData("hf-haikou", next))),
    ).toBe("KEY_NOT_OWNED");
    expect(
      await refusal(store, batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", first))),
    ).toBe("KEY_ID_TAKEN");
    const add = batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", next));
    const effects = await apply(store, add);
    expect(effects?.claims?.[0]?.claim.key).toBe(
      uniqueKeyFor(INTL, SUBJECT_KEY, "zhixin.key", ["hf-haikou", 1]),
    );
    commit(store, add, effects);
    // The new key retires the old one; the old one is then no signer.
    const retire = batch("hf-haikou", next.keyId, KEY_RETIRE_TYPE, { keyId: first.keyId });
    commit(store, retire, await apply(store, retire));
    expect(
      await refusal(store, batch("hf-haikou", first.keyId, KEY_RETIRE_TYPE, { keyId: next.keyId })),
    ).toBe("KEY_NOT_OWNED");
    expect(
      await refusal(store, batch("hf-haikou", next.keyId, KEY_RETIRE_TYPE, { keyId: first.keyId })),
    ).toBe("KEY_STATE_CONFLICT");
  });

  it("retire and revoke: of an unknown key, by another department, or compromised after the revoke: refused", async () => {
    const store = new MemoryRuleStore();
    const first = await introduced(store);
    const stranger = newKey("hf-haikou");
    expect(
      await refusal(store, batch("hf-haikou", first.keyId, KEY_RETIRE_TYPE, { keyId: stranger.keyId })),
    ).toBe("KEY_STATE_CONFLICT");
    expect(
      await refusal(store, batch("hf-sanya", first.keyId, KEY_RETIRE_TYPE, { keyId: first.keyId })),
    ).toBe("KEY_NOT_OWNED");
    expect(
      await refusal(
        store,
        batch("hf-haikou", first.keyId, KEY_REVOKE_TYPE, {
          keyId: first.keyId,
          compromisedSince: "2099-01-01T00:00:00.000Z",
        }),
      ),
    ).toBe("KEY_STATE_CONFLICT");
    const revoke = batch("hf-haikou", first.keyId, KEY_REVOKE_TYPE, {
      keyId: first.keyId,
      compromisedSince: "2026-01-01T00:00:00.000Z",
    });
    expect((await apply(store, revoke))?.index?.[0]?.attrs.type).toBe(KEY_REVOKE_TYPE);
  });

  it("only committed key records count: an index entry whose batch never committed is ignored", async () => {
    const store = new MemoryRuleStore();
    const key = newKey("hf-haikou");
    const b = batch("hf-haikou", key.keyId, KEY_ADD_TYPE, addData("hf-haikou", key));
    store.index.push(...((await apply(store, b))?.index ?? []));
    // Not committed: the same key may still be introduced, by a retry or anew.
    expect(await refusal(store, batch("hf-haikou", key.keyId, KEY_ADD_TYPE, addData("hf-haikou", key)))).toBe(
      undefined,
    );
  });

  it("a retry of a committed key record is NONCE_REPLAYED, before the history is read", async () => {
    const store = new MemoryRuleStore();
    const key = newKey("hf-haikou");
    const b = batch("hf-haikou", key.keyId, KEY_ADD_TYPE, addData("hf-haikou", key));
    commit(store, b, await apply(store, b));
    store.reads.length = 0;
    expect(await refusal(store, b)).toBe("NONCE_REPLAYED");
    expect(store.reads).toEqual([`getBatchHeads ${b.batchKey}`]);
  });

  it("reads nothing of a batch without key records", async () => {
    const store = new MemoryRuleStore();
    expect(
      await apply(store, batchOf("hf-haikou", [{ type: "x.note", data: { who: "a", n: 1, m: 2 } }])),
    ).toEqual({});
    expect(store.reads).toEqual([]);
  });

  it("a committed key record that does not count, or an unreadable index entry, is a store invariant broken", async () => {
    const store = new MemoryRuleStore();
    const first = await introduced(store);
    const entry = store.index[0];
    if (!entry) throw new Error("no index entry");
    const next = newKey("hf-haikou");
    store.index[0] = { ...entry, attrs: { ...entry.attrs, keyId: next.keyId } };
    const retire = batch("hf-haikou", first.keyId, KEY_RETIRE_TYPE, { keyId: first.keyId });
    await expect(apply(store, retire)).rejects.toBeInstanceOf(StoreInvariantError);
    store.index[0] = { ...entry, attrs: { type: KEY_ADD_TYPE } };
    await expect(apply(store, retire)).rejects.toBeInstanceOf(StoreInvariantError);
  });

  describe("under the consortium file's governance (keyRecords, rules 4–5)", () => {
    /** A cosign by `dept` (signed with a key named after it) of the committed batch `target`. */
    function cosignOf(dept: string, target: PreparedBatch, digest?: string): PreparedBatch {
      const data = target.records[0]?.data as JsonValue;
      return batch(dept, `${dept}/key-1`, KEY_COSIGN_TYPE, {
        entryId: target.entryIds[0] as string,
        contentDigest: digest ?? contentDigest(INTL, data),
      });
    }

    it("an owner's first key awaits one cosign; another department's cosign completes it, judged, claimed and indexed as a key record", async () => {
      const c = governed(1);
      const store = new MemoryRuleStore();
      const first = newKey("hf-haikou");
      const add = batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", first));
      commit(store, add, await apply(store, add, c));
      // Pending: the key may not yet sign a rotation of its own.
      const next = newKey("hf-haikou");
      expect(
        await refusal(store, batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", next)), c),
      ).toBe("KEY_NOT_OWNED");
      // The owner's cosign adds nothing.
      expect(await refusal(store, cosignOf("hf-haikou", add), c)).toBe("KEY_COSIGN_REFUSED");
      const cosign = cosignOf("hf-sanya", add);
      // cosign.ts leaves it to the key history (key record types have no signers).
      expect(await prepareCosigns(cosign, deps(store, c))).toEqual({ claims: [], marks: [] });
      const effects = await apply(store, cosign, c);
      expect(effects?.claims?.map((x) => x.claim.key)).toEqual([
        uniqueKeyFor(INTL, SUBJECT_KEY, "zhixin.key", ["hf-haikou", 1]),
      ]);
      expect(effects?.index).toEqual([
        {
          index: keyIndex("hf-haikou"),
          entryId: cosign.entryIds[0],
          batchKey: cosign.batchKey,
          receivedAt: cosign.receivedAt,
          position: 0,
          attrs: {
            type: KEY_COSIGN_TYPE,
            dept: "hf-sanya",
            keyId: "hf-sanya/key-1",
            data: canonicalJson(cosign.records[0]?.data as JsonValue),
          },
        },
      ]);
      commit(store, cosign, effects);
      // Complete: a second cosign is refused, and the key now signs the owner's next record.
      expect(await refusal(store, cosignOf("market-regulation", add), c)).toBe("KEY_COSIGN_REFUSED");
      expect(
        await refusal(store, batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", next)), c),
      ).toBe(undefined);
    });

    it("a recovery by another department is indexed under the key's owner; an auditor's or a retire by another is KEY_NOT_OWNED", async () => {
      const store = new MemoryRuleStore();
      const first = await introduced(store);
      const revoke = batch("hf-sanya", "hf-sanya/key-1", KEY_REVOKE_TYPE, {
        keyId: first.keyId,
        compromisedSince: "2026-01-01T00:00:00.000Z",
      });
      const effects = await apply(store, revoke);
      expect(effects?.index?.map((e) => [e.index, e.attrs.dept])).toEqual([
        [keyIndex("hf-haikou"), "hf-sanya"],
      ]);
      expect(effects?.claims?.map((x) => x.claim.key)).toEqual([
        uniqueKeyFor(INTL, SUBJECT_KEY, "zhixin.key", ["hf-haikou", 1]),
      ]);
      expect(
        await refusal(store, batch("hf-sanya", "hf-sanya/key-1", KEY_RETIRE_TYPE, { keyId: first.keyId })),
      ).toBe("KEY_NOT_OWNED");
      expect(
        await refusal(
          store,
          batch("auditor", "auditor/key-1", KEY_REVOKE_TYPE, {
            keyId: first.keyId,
            compromisedSince: "2026-01-01T00:00:00.000Z",
          }),
        ),
      ).toBe("KEY_NOT_OWNED");
      commit(store, revoke, effects);
      // Cosigned by its writer, by a non-department, or with another digest: refused.
      expect(await refusal(store, cosignOf("hf-sanya", revoke))).toBe("KEY_COSIGN_REFUSED");
      expect(await refusal(store, cosignOf("auditor", revoke))).toBe("KEY_COSIGN_REFUSED");
      expect(await refusal(store, cosignOf("civil-affairs", revoke, "0".repeat(64)))).toBe(
        "KEY_COSIGN_REFUSED",
      );
      expect((await apply(store, cosignOf("civil-affairs", revoke)))?.index?.[0]?.index).toBe(
        keyIndex("hf-haikou"),
      );
    });

    it("a key record's cosign travels alone; a cosign of anything else is not this rule's", async () => {
      const store = new MemoryRuleStore();
      const first = newKey("hf-haikou");
      const add = batch("hf-haikou", first.keyId, KEY_ADD_TYPE, addData("hf-haikou", first));
      commit(store, add, await apply(store, add));
      const cosign = cosignOf("hf-sanya", add);
      const other = { type: "x.note", data: { who: "a", n: 1, m: 2 } };
      const both = {
        ...cosign,
        records: [other, ...cosign.records],
        entryIds: ["e".repeat(32), ...cosign.entryIds],
      };
      expect(await refusal(store, both)).toBe("KEY_RECORD_NOT_ALONE");
      store.commit("hf-sanya/key-1#note", [
        envelope({ id: "f".repeat(32), dept: "hf-sanya", type: "x.note" }),
      ]);
      const ofNote = { entryId: "f".repeat(32), contentDigest: "0".repeat(64) };
      expect(await keyCosignOwner(store, ofNote)).toBe(undefined);
      expect(await keyCosignOwner(store, { entryId: "nope" })).toBe(undefined);
      expect(await keyCosignOwner(store, cosign.records[0]?.data)).toBe("hf-haikou");
      expect(await apply(store, batch("hf-sanya", "hf-sanya/key-1", KEY_COSIGN_TYPE, ofNote))).toEqual({});
    });
  });
});
