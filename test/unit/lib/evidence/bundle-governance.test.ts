import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
  type KeyGovernance,
  sha256Bytes,
  utf8,
} from "#chain";
import {
  EvidenceError,
  formatEvidenceBundle,
  formatTrustRoot,
  parseTrustRoot,
  type TrustRoot,
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
  type MemberKey,
  record,
  type Stored,
  t,
} from "../../../vectors/evidence/ledger.js";
import { codeOf } from "./evidence-errors.js";

// Evidence bundles under the trust root's key governance (docs/formats/evidence.md §3
// step 7; design/key-history.md §3 rules 4–5): a key recovered by the other departments,
// an owner's records that count once cosigned, and what a bundle that leaves out a
// completing cosign — or a root without keyGovernance — makes of them.

const seed = (name: string) => sha256Bytes(utf8(`evidence governance: ${name}`));
const S1 = ed25519Key("hf-sanya", seed("S1"));
const T1 = ed25519Key("tax-haikou", seed("T1"));
const C3 = ed25519Key("internet-court", seed("C3"));
const [W1, W2] = WITNESSES as [(typeof WITNESSES)[0], (typeof WITNESSES)[0]];

/** TRUST's root (no keyGovernance) with `keyGovernance`. */
function rootWith(keyGovernance: KeyGovernance): TrustRoot {
  return parseTrustRoot(formatTrustRoot({ ...JSON.parse(TRUST.text), keyGovernance }));
}

/** zhixin.cosign of `of`, written by `by`'s owner. */
function cosign(of: Stored, by: MemberKey, receivedAt: string): Stored {
  const data = { contentDigest: of.envelope.contentDigest, entryId: of.envelope.id };
  return record(by, KEY_COSIGN_TYPE, data, { receivedAt });
}

type Log = ReturnType<typeof courtLog>;

function bundleOf(log: Log, entry: string, keyRecords: readonly string[]): string {
  const checkpoint = log.ledger.checkpoint([W1, W2], COSIGNED_AT);
  return formatEvidenceBundle(log.ledger.parts(log.at(entry), keyRecords.map(log.at), checkpoint));
}

const idOf = (log: Log, name: string) => log.ledger.entries[log.at(name)]?.envelope.id as string;

/** The EvidenceError `f` throws. */
function errorOf(f: () => unknown): EvidenceError {
  try {
    f();
  } catch (e) {
    if (e instanceof EvidenceError) return e;
    throw e;
  }
  throw new Error("it verified");
}

describe("a key recovered by the other departments (rule 4)", () => {
  // Four departments: a recovery of internet-court's key needs its writer and one more of
  // the three others. internet-court's C2 is stolen: hf-haikou revokes it back to t(55)
  // and adds C3 for the court; hf-sanya and tax-haikou complete one each.
  const governance = {
    departments: ["hf-haikou", "hf-sanya", "internet-court", "tax-haikou"],
    ownerCosigns: 0,
  };
  const root = rootWith(governance);
  const revokeC2 = record(
    H1,
    KEY_REVOKE_TYPE,
    { compromisedSince: t(55), keyId: C2.keyId },
    { receivedAt: t(60) },
  );
  const addC3 = keyAdd(C3, H1, { receivedAt: t(62) });
  const log = courtLog(
    {},
    {
      addS1: keyAdd(S1, S1, { receivedAt: t(51) }),
      addT1: keyAdd(T1, T1, { receivedAt: t(52) }),
      stolen: record(C2, "evidence.digest", evidenceData(utf8("a thief's file\n")), { receivedAt: t(58) }),
      revokeC2,
      cosignRevoke: cosign(revokeC2, S1, t(61)),
      addC3,
      cosignAdd: cosign(addC3, T1, t(63)),
      court: record(C3, "evidence.digest", evidenceData(FILE), { receivedAt: t(64) }),
    },
  );
  const court = ["addC1", "addC2", "retireC1", "revokeC2", "cosignRevoke", "addC3", "cosignAdd"];
  const writers = ["addH1", "addS1", "addT1"];
  const all = [...court, ...writers];
  const without = (...names: string[]) => all.filter((n) => !names.includes(n));
  const verify = (entry: string, keyRecords: readonly string[], r = root) =>
    verifyEvidenceBundle(bundleOf(log, entry, keyRecords), r, checks);

  it("proves an entry signed with the key the recovery added, valid from its completing cosign", () => {
    const proven = verify("court", all);
    expect(proven.signingKey).toMatchObject({ keyId: C3.keyId, owner: "internet-court", validFrom: t(63) });
    expect(proven.keyGovernance).toEqual(governance);
    const byName = (name: string) => proven.keyRecords.find((r) => r.entryId === idOf(log, name));
    expect(byName("addC3")).toEqual({
      entryId: idOf(log, "addC3"),
      type: KEY_ADD_TYPE,
      writer: "hf-haikou",
      keyId: C3.keyId,
      signedBy: H1.keyId,
      receivedAt: t(62),
      logIndex: log.at("addC3"),
      completedBy: idOf(log, "cosignAdd"),
    });
    expect(byName("cosignAdd")).toEqual({
      entryId: idOf(log, "cosignAdd"),
      type: KEY_COSIGN_TYPE,
      writer: "tax-haikou",
      keyId: C3.keyId,
      signedBy: T1.keyId,
      receivedAt: t(63),
      logIndex: log.at("cosignAdd"),
      cosigns: idOf(log, "addC3"),
    });
    expect(byName("revokeC2")).toMatchObject({ writer: "hf-haikou", completedBy: idOf(log, "cosignRevoke") });
    // The owner's own records counted at once: no completedBy.
    expect(byName("addC2")).not.toHaveProperty("completedBy");
    expect(proven.keyRecords.map((r) => r.receivedAt)).toEqual(
      [...proven.keyRecords.map((r) => r.receivedAt)].sort(),
    );
  });

  it("refuses what the stolen key signed after compromisedSince once the revoke completed: KEY_REVOKED", () => {
    expect(codeOf(() => verify("stolen", all))).toBe("KEY_REVOKED");
  });

  it("without the revoke's completing cosign, shows the revoke pending and the stolen key valid (what the caveat warns of)", () => {
    const proven = verify("stolen", without("cosignRevoke"));
    expect(proven.signingKey).toEqual(expect.not.objectContaining({ compromisedSince: expect.anything() }));
    expect(proven.keyRecords.find((r) => r.entryId === idOf(log, "revokeC2"))?.completedBy).toBeNull();
    expect(proven.caveat).toContain("or the cosign that completes one");
  });

  it("without the add's completing cosign, the recovered key was never added: KEY_UNKNOWN", () => {
    expect(codeOf(() => verify("court", without("cosignAdd")))).toBe("KEY_UNKNOWN");
  });

  it("without the key records of a cosign's writer, cannot judge its signature: KEY_HISTORY_INVALID", () => {
    const e = errorOf(() => verify("court", without("addT1")));
    expect(e.code).toBe("KEY_HISTORY_INVALID");
    expect(e.message).toContain(`signed by ${T1.keyId}, KEY_UNKNOWN`);
    const bundle = JSON.parse(bundleOf(log, "court", without("addT1")));
    expect(bundle.keyRecords[Number(e.pointer?.split("/")[2])].envelope.id).toBe(idOf(log, "cosignAdd"));
  });

  it("refuses a cosign signed with another department's key, or whose signature does not verify: ENTRY_SIGNATURE_INVALID", () => {
    const forged = (by: MemberKey) =>
      courtLog(
        {},
        {
          addS1: keyAdd(S1, S1, { receivedAt: t(51) }),
          addT1: keyAdd(T1, T1, { receivedAt: t(52) }),
          revokeC2,
          cosignRevoke: cosign(revokeC2, by, t(61)),
        },
      );
    const records = ["addC1", "addC2", "retireC1", "revokeC2", "cosignRevoke", ...writers];
    for (const by of [
      { ...S1, owner: "tax-haikou" },
      { ...T1, sign: S1.sign },
    ]) {
      const other = forged(by);
      expect(codeOf(() => verifyEvidenceBundle(bundleOf(other, "evidence", records), root, checks))).toBe(
        "ENTRY_SIGNATURE_INVALID",
      );
    }
  });

  it("refuses a cosign by the recovery's own writer: KEY_HISTORY_INVALID (KEY_COSIGN_REFUSED)", () => {
    const other = courtLog({}, { revokeC2, cosignRevoke: cosign(revokeC2, H1, t(61)) });
    const e = errorOf(() =>
      verifyEvidenceBundle(
        bundleOf(other, "evidence", ["addC1", "addH1", "addC2", "retireC1", "revokeC2", "cosignRevoke"]),
        root,
        checks,
      ),
    );
    expect(e.code).toBe("KEY_HISTORY_INVALID");
    expect(e.message).toContain("KEY_COSIGN_REFUSED");
    expect(e.message).not.toContain("keyGovernance");
  });

  it("against a trust root without keyGovernance, fails saying so: no recovery counts under it", () => {
    const e = errorOf(() => verify("court", all, TRUST.root));
    expect(e.code).toBe("KEY_HISTORY_INVALID");
    expect(e.message).toContain("KEY_NOT_OWNED");
    expect(e.message).toContain("The trust root carries no keyGovernance");
    expect(e.message).toContain("zhixin trust export");
    // A bundle with no recovery or cosign verifies under it as before, and says which governance it used.
    expect(verify("evidence", ["addC1", "addC2", "retireC1"], TRUST.root).keyGovernance).toBeNull();
  });

  it("is of the form docs/formats/evidence.schema.json gives", () => {
    const schema = JSON.parse(readFileSync("docs/formats/evidence.schema.json", "utf8"));
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
    expect(validate(JSON.parse(bundleOf(log, "court", all))), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe("an owner's key records that count once cosigned (rule 5, ownerCosigns 1)", () => {
  // Two departments, each first key cosigned by the other — hf-haikou's cosign of the
  // court's first key is signed by its own first key, still awaiting its cosign — then
  // the court's add of C2, cosigned by hf-haikou; its retire of C1 is never cosigned.
  const governance = { departments: ["hf-haikou", "internet-court"], ownerCosigns: 1 };
  const root = rootWith(governance);
  const base = courtLog();
  const entry = (name: string) => base.ledger.entries[base.at(name)] as Stored;
  const log = courtLog(
    {},
    {
      cosignC1: cosign(entry("addC1"), H1, t(2)),
      cosignH1: cosign(entry("addH1"), C1, t(3)),
      cosignC2: cosign(entry("addC2"), H1, t(11)),
    },
  );
  const records = ["addC1", "addH1", "addC2", "retireC1", "cosignC1", "cosignH1", "cosignC2"];
  const verify = (keyRecords: readonly string[], r = root) =>
    verifyEvidenceBundle(bundleOf(log, "evidence", keyRecords), r, checks);

  it("proves the entry, its key valid from the cosign that completed its add; the retire awaits a cosign", () => {
    const proven = verify(records);
    expect(proven.signingKey).toMatchObject({ keyId: C2.keyId, validFrom: t(11) });
    expect(proven.signingKey).not.toHaveProperty("validUntil");
    const completedBy = Object.fromEntries(
      proven.keyRecords.filter((r) => r.type !== KEY_COSIGN_TYPE).map((r) => [r.entryId, r.completedBy]),
    );
    expect(completedBy).toEqual({
      [idOf(log, "addC1")]: idOf(log, "cosignC1"),
      [idOf(log, "addH1")]: idOf(log, "cosignH1"),
      [idOf(log, "addC2")]: idOf(log, "cosignC2"),
      [idOf(log, "retireC1")]: null,
    });
    expect(proven.keyRecords.find((r) => r.type === KEY_RETIRE_TYPE)?.writer).toBe("internet-court");
  });

  it("without the cosign of its add, the key never counted: KEY_UNKNOWN (and the retire it signed does not count)", () => {
    const withoutCosign = records.filter((n) => n !== "cosignC2");
    expect(codeOf(() => verify(withoutCosign.filter((n) => n !== "retireC1")))).toBe("KEY_UNKNOWN");
    expect(errorOf(() => verify(withoutCosign)).message).toContain("KEY_NOT_OWNED");
  });

  it("a cosign signed by a key its writer has not introduced on the ledger: KEY_HISTORY_INVALID", () => {
    expect(codeOf(() => verify(records.filter((n) => n !== "addH1")))).toBe("KEY_HISTORY_INVALID");
  });

  it("against a root without keyGovernance, the cosigns count for nothing and it fails saying so", () => {
    const e = errorOf(() => verify(records, TRUST.root));
    expect([
      e.code,
      e.message.includes("KEY_COSIGN_REFUSED"),
      e.message.includes("no keyGovernance"),
    ]).toEqual(["KEY_HISTORY_INVALID", true, true]);
  });
});
