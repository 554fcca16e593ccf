import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { canonicalJson, type EntryEnvelope, KEY_RETIRE_TYPE, toHex, utf8 } from "#chain";
import {
  checkFileDigest,
  EVIDENCE_BUNDLE_TAG,
  type EvidenceBundle,
  formatEvidenceBundle,
  KEY_HISTORY_CAVEAT,
  parseEvidenceBundle,
  verifyEvidenceBundle,
} from "../../../../lib/evidence/index.js";
import {
  C1,
  C2,
  COSIGNED_AT,
  courtLog,
  evidenceData,
  FILE,
  H1,
  TRUST,
  WITNESSES,
} from "../../../vectors/evidence/cases.js";
import {
  checks,
  ed25519Key,
  keyAdd,
  keyAddData,
  keyRetire,
  keyRevoke,
  p256Key,
  record,
  submit,
  t,
} from "../../../vectors/evidence/ledger.js";
import { codeOf } from "./evidence-errors.js";

// The evidence-bundle verifier (docs/formats/evidence.md) beyond the vectors: what a verified
// bundle says, keys of every kind, the producer's canonical text, the refusals the vectors do
// not spell out, what a bundle cannot exclude, and the JSON Schema.

const root = TRUST.root;
const [W1, W2] = WITNESSES as [(typeof WITNESSES)[0], (typeof WITNESSES)[0]];
const KEY_RECORDS = ["addC1", "addC2", "retireC1"];

function partsOf(
  log: ReturnType<typeof courtLog>,
  entry = "evidence",
  keyRecords = KEY_RECORDS,
): EvidenceBundle {
  const checkpoint = log.ledger.checkpoint([W1, W2], COSIGNED_AT);
  return log.ledger.parts(log.at(entry), keyRecords.map(log.at), checkpoint);
}

const base = courtLog();
const honestParts = partsOf(base);
const honest = formatEvidenceBundle(honestParts);

const verify = (text: string | Uint8Array) => verifyEvidenceBundle(text, root, checks);

describe("a verified bundle", () => {
  it("says in plain data what it proves, and what it cannot exclude", () => {
    const evidence = base.ledger.entries[base.at("evidence")]?.envelope as EntryEnvelope;
    const proven = verify(honest);
    expect(proven).toEqual({
      log: root.log,
      entry: {
        id: evidence.id,
        kind: "record",
        type: "evidence.digest",
        writer: "internet-court",
        receivedAt: t(20),
        signedAt: Date.parse(t(20)) / 1000,
        logIndex: base.at("evidence"),
        contentDigest: evidence.contentDigest,
      },
      checkpoint: {
        size: base.ledger.entries.length,
        rootHash: toHex(base.ledger.tree().root()),
        minWitnesses: 2,
        witnesses: [W1, W2].map((w) => ({
          name: w.key.name,
          keyHash: toHex(w.key.keyHash),
          timestamp: COSIGNED_AT,
        })),
      },
      signingKey: {
        keyId: C2.keyId,
        owner: "internet-court",
        role: "department",
        alg: "ed25519",
        spki: Buffer.from(C2.spki).toString("base64"),
        validFrom: t(10),
      },
      keyGovernance: null,
      keyRecords: [
        ["addC1", C1.keyId, C1.keyId, t(0)],
        ["addC2", C2.keyId, C1.keyId, t(10)],
        ["retireC1", C1.keyId, C2.keyId, t(30)],
      ].map(([name, keyId, signedBy, receivedAt]) => ({
        entryId: base.ledger.entries[base.at(name as string)]?.envelope.id,
        type: name === "retireC1" ? KEY_RETIRE_TYPE : "zhixin.key.add",
        writer: "internet-court",
        keyId,
        signedBy,
        receivedAt,
        logIndex: base.at(name as string),
      })),
      payload: { text: canonicalJson(evidenceData(FILE)), data: evidenceData(FILE) },
      keyHistoryComplete: false,
      caveat: KEY_HISTORY_CAVEAT,
    });
    const sha256 = createHash("sha256").update(FILE).digest("hex");
    expect(checkFileDigest(FILE, proven)).toEqual({ field: "sha256", sha256 });
  });

  it("reads the file's bytes as well as its text, and any I-JSON spelling of it", () => {
    expect(verify(utf8(honest)).entry.logIndex).toBe(base.at("evidence"));
    expect(verify(JSON.stringify(JSON.parse(honest), null, 2)).entry.logIndex).toBe(base.at("evidence"));
  });

  it("proves an entry signed with a P-256 key, rotated from its owner's first P-256 key", () => {
    const p1 = p256Key("hf-sanya");
    const p2 = p256Key("hf-sanya");
    const log = courtLog(
      {},
      {
        addP1: keyAdd(p1, p1, { receivedAt: t(41) }),
        addP2: keyAdd(p2, p1, { receivedAt: t(42) }),
        certificate: record(p2, "housing-fund.deposit-certificate", { months: 6 }, { receivedAt: t(43) }),
      },
    );
    const proven = verify(formatEvidenceBundle(partsOf(log, "certificate", ["addP1", "addP2"])));
    expect(proven.signingKey.alg).toBe("ecdsa-p256-sha256");
    expect(proven.signingKey.keyId).toBe(p2.keyId);
  });

  it("folds key records of one batch, and of batches received at one time, in ledger order", () => {
    // C1 adds C2 and retires itself in one signed batch; hf-haikou's H1 is introduced at the same time.
    const [addC2, retireC1] = submit(
      C1,
      [
        { type: "zhixin.key.add", data: keyAddData(C2) },
        { type: KEY_RETIRE_TYPE, data: { keyId: C1.keyId } },
      ],
      { receivedAt: t(10) },
    );
    const log = courtLog({
      addH1: keyAdd(H1, H1, { receivedAt: t(10) }),
      addC2: addC2 as (typeof base.ledger.entries)[0],
      retireC1: retireC1 as (typeof base.ledger.entries)[0],
    });
    // By receivedAt, then batch key ("hf-haikou/…#…" before "internet-court/…#…"), then batch index.
    const order = ["addC1", "addH1", "addC2", "retireC1"].map(log.at);
    const text = formatEvidenceBundle(partsOf(log, "evidence", ["retireC1", "addH1", "addC2", "addC1"]));
    const written = JSON.parse(text) as { keyRecords: Array<{ inclusion: { index: number } }> };
    expect(written.keyRecords.map((r) => r.inclusion.index)).toEqual(order);
    written.keyRecords.reverse();
    expect(verify(JSON.stringify(written)).keyRecords.map((r) => r.logIndex)).toEqual(order);
  });

  it("proves an auditor's own key record, which an auditor's key may sign", () => {
    const u1 = ed25519Key("auditor-1", utf8("auditor-1 key seed, 32 bytes....").slice(0, 32), "auditor");
    const log = courtLog({}, { addU1: keyAdd(u1, u1, { receivedAt: t(41) }) });
    expect(verify(formatEvidenceBundle(partsOf(log, "addU1", ["addU1"]))).signingKey.role).toBe("auditor");
  });

  it("reports a later revoke's compromisedSince and the retire's end when they come after the entry", () => {
    // C2 rotates to C3, which retires C2 and then revokes it: C2 signs nothing after its retire.
    const c3 = ed25519Key("internet-court", utf8("internet-court's third key seed.").slice(0, 32));
    const log = courtLog(
      {},
      {
        addC3: keyAdd(c3, C2, { receivedAt: t(59) }),
        retireC2: keyRetire(C2.keyId, c3, { receivedAt: t(60) }),
        revokeC2: keyRevoke(C2.keyId, t(25), c3, { receivedAt: t(61) }),
      },
    );
    const later = [...KEY_RECORDS, "addC3", "retireC2", "revokeC2"];
    const proven = verify(formatEvidenceBundle(partsOf(log, "evidence", later)));
    expect(proven.signingKey).toMatchObject({ validUntil: t(60), compromisedSince: t(25) });
  });
});

describe("refusals the vectors do not spell out", () => {
  it("a minWitnesses outside 0 … the root's witnesses is the caller's mistake: RangeError", () => {
    for (const minWitnesses of [-1, 1.5, WITNESSES.length + 1])
      expect(() => verifyEvidenceBundle(honest, root, checks, { minWitnesses })).toThrow(RangeError);
    expect(verifyEvidenceBundle(honest, root, checks, { minWitnesses: 0 }).checkpoint.minWitnesses).toBe(0);
  });

  it("a file that is not UTF-8, or whose members are missing or of the wrong kind: BUNDLE_INVALID", () => {
    const b = JSON.parse(honest);
    const variants: unknown[] = [
      [],
      { ...b, keyRecords: undefined },
      { ...b, keyRecords: {} },
      { ...b, checkpoint: 7 },
      { ...b, checkpoint: "not a note" },
      { ...b, log: "a log" },
      { ...b, entry: { ...b.entry, payload: 7 } },
      { ...b, entry: { ...b.entry, payload: "[1]" } },
      { ...b, entry: { ...b.entry, inclusion: { ...b.entry.inclusion, index: -1 } } },
      { ...b, entry: { ...b.entry, inclusion: { ...b.entry.inclusion, size: 2 ** 53 } } },
      { ...b, entry: { ...b.entry, inclusion: [] } },
    ];
    for (const v of variants) expect(codeOf(() => verify(JSON.stringify(v)))).toBe("BUNDLE_INVALID");
    expect(codeOf(() => verify(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe("BUNDLE_INVALID");
  });

  it("an entry of a department signed with an auditor's key: ENTRY_SIGNATURE_INVALID", () => {
    const u1 = ed25519Key("auditor-1", utf8("auditor-1 key seed, 32 bytes....").slice(0, 32), "auditor");
    const log = courtLog(
      {},
      {
        addU1: keyAdd(u1, u1, { receivedAt: t(41) }),
        note: record(u1, "evidence.digest", evidenceData(FILE), { receivedAt: t(42) }),
      },
    );
    expect(codeOf(() => verify(formatEvidenceBundle(partsOf(log, "note", ["addU1"]))))).toBe(
      "ENTRY_SIGNATURE_INVALID",
    );
  });

  it("an envelope naming another algorithm than its key's: ENTRY_SIGNATURE_INVALID", () => {
    const log = courtLog({
      evidence: record({ ...C2, alg: "ecdsa-p256-sha256" }, "evidence.digest", evidenceData(FILE), {
        receivedAt: t(20),
      }),
    });
    expect(codeOf(() => verify(formatEvidenceBundle(partsOf(log))))).toBe("ENTRY_SIGNATURE_INVALID");
  });

  it("a signature check that throws counts as a signature that does not verify", () => {
    const throwing = {
      ...checks,
      verifySignature: (...args: Parameters<typeof checks.verifySignature>) => {
        if (args[2].length > 100) throw new Error("cannot read this key");
        return checks.verifySignature(...args);
      },
    };
    const code = codeOf(() => verifyEvidenceBundle(honest, root, throwing));
    expect(code).toBe("ENTRY_SIGNATURE_INVALID");
  });
});

describe("what a bundle cannot exclude (design/key-history.md §6): the result says so", () => {
  it("a bundle that leaves out a revoke of its key still verifies", () => {
    const log = courtLog({}, { revokeC2: keyRevoke(C2.keyId, t(15), C2, { receivedAt: t(60) }) });
    expect(
      codeOf(() => verify(formatEvidenceBundle(partsOf(log, "evidence", [...KEY_RECORDS, "revokeC2"])))),
    ).toBe("KEY_REVOKED");
    const proven = verify(formatEvidenceBundle(partsOf(log)));
    expect(proven.keyHistoryComplete).toBe(false);
    expect(proven.caveat).toBe(KEY_HISTORY_CAVEAT);
  });

  it("a key self-introduced after its owner's first key (no count in the log's fold) verifies when the owner's real records are left out", () => {
    // The operator sealed what intake would refuse: a second "first key" of internet-court.
    const thief = ed25519Key("internet-court", utf8("a thief's key seed, 32 bytes....").slice(0, 32));
    const log = courtLog(
      {},
      {
        addThief: keyAdd(thief, thief, { receivedAt: t(41) }),
        forged: record(thief, "evidence.digest", evidenceData(utf8("a forged file\n")), {
          receivedAt: t(42),
        }),
      },
    );
    expect(codeOf(() => verify(formatEvidenceBundle(partsOf(log, "forged", ["addC1", "addThief"]))))).toBe(
      "KEY_HISTORY_INVALID",
    );
    expect(verify(formatEvidenceBundle(partsOf(log, "forged", ["addThief"]))).signingKey.keyId).toBe(
      thief.keyId,
    );
  });
});

describe("the producer's text (formatEvidenceBundle)", () => {
  it("is canonical JSON and a final newline, the key records in ledger order, and reads back as its parts", () => {
    const shuffled = { ...honestParts, keyRecords: [...honestParts.keyRecords].reverse() };
    expect(formatEvidenceBundle(shuffled)).toBe(honest);
    expect(honest).toBe(`${canonicalJson(JSON.parse(honest))}\n`);
    expect(JSON.parse(honest).evidence).toBe(EVIDENCE_BUNDLE_TAG);
    expect(parseEvidenceBundle(honest)).toEqual(honestParts);
  });

  it("writes only what reads back: BUNDLE_INVALID", () => {
    const withoutNonce = (r: EvidenceBundle["keyRecords"][0]) => ({
      ...r,
      envelope: { ...r.envelope, receivedAt: t(0), signatureBase: "no nonce here" },
    });
    const keyRecords = honestParts.keyRecords.map(withoutNonce);
    expect(codeOf(() => formatEvidenceBundle({ ...honestParts, keyRecords }))).toBe("BUNDLE_INVALID");
    const entry = { ...honestParts.entry, payload: undefined as unknown as string };
    expect(codeOf(() => formatEvidenceBundle({ ...honestParts, entry }))).toBe("BUNDLE_INVALID");
    expect(codeOf(() => formatEvidenceBundle({ ...honestParts, log: "a log" }))).toBe("BUNDLE_INVALID");
  });
});

describe("every value of a bundle is bound", () => {
  /** Every string and number of a JSON value, as a path and a changed copy of the value. */
  function leaves(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
    if (typeof value === "string" || typeof value === "number") return [path];
    if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
    if (typeof value === "object" && value !== null)
      return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
    return [];
  }
  const json = JSON.parse(honest);
  const paths = leaves(json);

  it("changing any one string or number of the honest bundle makes it refused", () => {
    expect(paths.length).toBeGreaterThan(60);
    const accepted = paths.filter((path) => {
      const copy = JSON.parse(honest);
      const parent = path.slice(0, -1).reduce((o, k) => o[k], copy);
      const key = path[path.length - 1] as string | number;
      const v = parent[key];
      if (typeof v === "number") parent[key] = v + 1;
      else {
        const mid = Math.floor(v.length / 2);
        parent[key] = `${v.slice(0, mid)}${v[mid] === "a" ? "b" : "a"}${v.slice(mid + 1)}`;
      }
      return codeOf(() => verify(JSON.stringify(copy))) === undefined;
    });
    expect(accepted).toEqual([]);
  });
});

describe("docs/formats/evidence.schema.json", () => {
  const schema = JSON.parse(readFileSync("docs/formats/evidence.schema.json", "utf8"));
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

  it("accepts every bundle a producer writes: records, access entries, withheld payloads", () => {
    for (const bundle of [
      honest,
      formatEvidenceBundle(partsOf(base, "access", ["addH1"])),
      formatEvidenceBundle({ ...honestParts, entry: { ...honestParts.entry, payload: null } }),
    ])
      expect(validate(JSON.parse(bundle)), JSON.stringify(validate.errors)).toBe(true);
  });

  it("refuses what a verifier refuses as BUNDLE_INVALID for its form", () => {
    const b = JSON.parse(honest);
    for (const wrong of [
      { ...b, evidence: "zhixin/evidence/v2" },
      { ...b, extra: 1 },
      { ...b, entry: { ...b.entry, envelope: { ...b.entry.envelope, note: "x" } } },
      { ...b, entry: { ...b.entry, inclusion: { ...b.entry.inclusion, index: -1 } } },
      { ...b, keyRecords: [b.entry] },
    ]) {
      expect(validate(wrong)).toBe(false);
      expect(codeOf(() => verify(JSON.stringify(wrong)))).toBe("BUNDLE_INVALID");
    }
  });
});
