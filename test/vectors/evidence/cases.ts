import {
  canonicalJson,
  formatSignedNote,
  type JsonValue,
  parseSignedNote,
  sha256Bytes,
  toBase64,
  toHex,
  utf8,
} from "#chain";
import { type EvidenceErrorCode, formatEvidenceBundle } from "../../../lib/evidence/index.js";
import { type TestWitness, testLog, testWitness } from "../../support/witness-keys.js";
import {
  ed25519Key,
  keyAdd,
  keyRetire,
  keyRevoke,
  match,
  record,
  type Stored,
  TestLedger,
  t,
  trustRootFor,
} from "./ledger.js";

// The evidence-bundle vectors (docs/formats/evidence.md): an internet court's log and, for
// each case, a bundle that either verifies or changes exactly one thing and is refused
// with the code written by hand below. generate.ts writes them to cases.json; the unit
// tests check that file is what this builds, and run every case.

export const ORIGIN = "zhixin.example/court";
const label = (name: string) => `evidence vectors: ${name}`;
const seed = (name: string) => sha256Bytes(utf8(label(name)));

const sealer = testLog(ORIGIN, label("sealer"));
export const WITNESSES = ["hf-haikou", "hf-sanya", "tax-haikou"].map((m) =>
  testWitness(`zhixin-witness/court/${m}`, label(m)),
);
const [W1, W2, W3] = WITNESSES as [TestWitness, TestWitness, TestWitness];
export const TRUST = trustRootFor(sealer, WITNESSES, 2);
/** When the witnesses cosign: after every entry of the log. */
export const COSIGNED_AT = Date.parse(t(120)) / 1000;

/** internet-court's first key, the key it rotated to, and hf-haikou's key. */
export const C1 = ed25519Key("internet-court", seed("C1"));
export const C2 = ed25519Key("internet-court", seed("C2"));
export const H1 = ed25519Key("hf-haikou", seed("H1"));

/** The evidence file the court is shown, and the record of its digest (S6). */
export const FILE = utf8("Contract of sale, hz-2026-0001, signed 2026-11-20: page 1 of 1\n");
export function evidenceData(file: Uint8Array): JsonValue {
  return { capturedAt: "2026-11-21T08:00:15Z", caseId: "hz-2026-0001", sha256: toHex(sha256Bytes(file)) };
}
const accessDetails: JsonValue = {
  contract: "s6-evidence",
  fieldsReturned: [],
  fieldsTested: ["sha256"],
  provider: "internet-court",
  result: "match",
  subjectHmac: "ab".repeat(32),
  type: "evidence.digest",
  version: "cd".repeat(32),
  want: "match",
};

/**
 * The court's log: C1 introduces itself, hf-haikou its H1, C1 adds C2, C2 signs the
 * evidence record and retires C1, hf-haikou asks a match question, and a last record.
 * `change` replaces or adds named entries; `extra` are appended in order.
 */
export function courtLog(change: Record<string, Stored> = {}, extra: Record<string, Stored> = {}) {
  const named: Record<string, Stored> = {
    addC1: keyAdd(C1, C1, { receivedAt: t(0) }),
    addH1: keyAdd(H1, H1, { receivedAt: t(1) }),
    addC2: keyAdd(C2, C1, { receivedAt: t(10) }),
    evidence: record(C2, "evidence.digest", evidenceData(FILE), { receivedAt: t(20) }),
    retireC1: keyRetire(C1.keyId, C2, { receivedAt: t(30) }),
    access: match(H1, accessDetails, { receivedAt: t(40) }),
    last: record(
      H1,
      "housing-fund.deposit-certificate",
      { months: 36, status: "active" },
      { receivedAt: t(50) },
    ),
    ...change,
    ...extra,
  };
  const ledger = new TestLedger(sealer);
  const index: Record<string, number> = {};
  for (const [name, stored] of Object.entries(named)) index[name] = ledger.append(stored);
  const at = (name: string) => index[name] as number;
  return { ledger, at };
}

type Log = ReturnType<typeof courtLog>;

/** The text of a bundle of `entry` with the court's key records (or `keyRecords`), cosigned by W1 and W2. */
function bundleOf(
  log: Log,
  entry = "evidence",
  keyRecords = ["addC1", "addC2", "retireC1"],
  o: { withhold?: boolean; witnesses?: TestWitness[] } = {},
): string {
  const checkpoint = log.ledger.checkpoint(o.witnesses ?? [W1, W2], COSIGNED_AT);
  return formatEvidenceBundle(
    log.ledger.parts(log.at(entry), keyRecords.map(log.at), checkpoint, { withhold: o.withhold === true }),
  );
}

/** The bundle's JSON changed by `f` and written back canonically: a change a producer's bug or a forger makes. */
// biome-ignore lint/suspicious/noExplicitAny: a bundle's JSON, edited by path as a forger would.
function edit(text: string, f: (bundle: any) => void): string {
  const bundle = JSON.parse(text);
  f(bundle);
  return `${canonicalJson(bundle)}\n`;
}

export interface VectorCase {
  description: string;
  /** For a bundle that does not verify: what is wrong with it. */
  wrong?: string;
  bundle: string;
  minWitnesses?: number;
  /** A file to check against the record's `field` (base64), once the bundle verifies. */
  file?: string;
  field?: string;
  /** "ok", or the code of the first check that fails. */
  expect: "ok" | EvidenceErrorCode;
  /** For a refusal: the JSON Pointer the error names, if it names one. */
  pointer?: string;
}

export function buildCases(): VectorCase[] {
  const base = courtLog();
  const honest = bundleOf(base);
  const file = toBase64(FILE);
  const cases: VectorCase[] = [];
  const ok = (description: string, bundle: string, more: Partial<VectorCase> = {}) =>
    cases.push({ description, bundle, ...more, expect: "ok" });
  const refused = (
    expect: EvidenceErrorCode,
    pointer: string | undefined,
    wrong: string,
    bundle: string,
    more: Partial<VectorCase> = {},
  ) =>
    cases.push({
      description: `${expect}: ${wrong}`,
      wrong,
      bundle,
      ...more,
      expect,
      ...(pointer === undefined ? {} : { pointer }),
    });

  ok(
    "an evidence.digest record with its payload, its key rotated from the owner's first key; the file shown matches",
    honest,
    { file, field: "sha256" },
  );
  ok(
    "the same record with its payload withheld: contentDigest still binds it",
    bundleOf(base, "evidence", undefined, { withhold: true }),
  );
  ok("an access entry (a match question), its consumer's first key", bundleOf(base, "access", ["addH1"]));
  ok(
    "the key records listed against ledger order: the verifier folds them in ledger order",
    edit(honest, (b) => b.keyRecords.reverse()),
  );
  ok("the entry is itself a key record: the add of the key that signed it", bundleOf(base, "addC2"));
  {
    const revokedLater = courtLog({}, { revokeC2: keyRevoke(C2.keyId, t(25), C2, { receivedAt: t(60) }) });
    ok(
      "the signing key revoked later as compromised since after the entry: the entry stands",
      bundleOf(revokedLater, "evidence", ["addC1", "addC2", "retireC1", "revokeC2"]),
    );
  }

  // The file's form (§1).
  refused("BUNDLE_INVALID", undefined, "not JSON text", "{");
  refused(
    "BUNDLE_INVALID",
    "/evidence",
    "another version's tag",
    edit(honest, (b) => {
      b.evidence = "zhixin/evidence/v2";
    }),
  );
  refused(
    "BUNDLE_INVALID",
    "",
    "a member version 1 does not have",
    edit(honest, (b) => {
      b.signer = "internet-court";
    }),
  );
  refused(
    "BUNDLE_INVALID",
    undefined,
    "the member log given twice",
    honest.replace("{", `{"log":"${ORIGIN}",`),
  );
  refused(
    "BUNDLE_INVALID",
    "/checkpoint",
    "a checkpoint of another log than the bundle's",
    edit(honest, (b) => {
      b.log = "zhixin.example/other";
    }),
  );
  refused(
    "BUNDLE_INVALID",
    "/entry/envelope",
    "an envelope with a member envelopes do not have",
    edit(honest, (b) => {
      b.entry.envelope.note = "x";
    }),
  );
  refused(
    "BUNDLE_INVALID",
    "/entry/payload",
    "a payload that is not JSON text",
    edit(honest, (b) => {
      b.entry.payload = "sha256=abc";
    }),
  );
  refused(
    "BUNDLE_INVALID",
    "/entry/inclusion/proof",
    "a proof hash in upper case",
    edit(honest, (b) => {
      b.entry.inclusion.proof[0] = b.entry.inclusion.proof[0].toUpperCase();
    }),
  );
  refused(
    "BUNDLE_INVALID",
    "/keyRecords/1/envelope/type",
    "a record that is not a key record among the key records",
    edit(honest, (b) => {
      b.keyRecords[1] = b.entry;
    }),
  );
  refused(
    "BUNDLE_INVALID",
    "/keyRecords/1",
    "one key record listed twice",
    edit(honest, (b) => {
      b.keyRecords[1] = b.keyRecords[0];
    }),
  );

  // The checkpoint against the trust root (§3 steps 2–3).
  {
    const forger = courtLog();
    const forged = new TestLedger(testLog(ORIGIN, label("another sealer key")));
    forged.append(...forger.ledger.entries);
    const note = forged.checkpoint([W1, W2], COSIGNED_AT);
    refused(
      "CHECKPOINT_UNTRUSTED",
      undefined,
      "the same log's checkpoint signed by a sealer key the trust root does not hold",
      formatEvidenceBundle(
        forged.parts(forger.at("evidence"), ["addC1", "addC2", "retireC1"].map(forger.at), note),
      ),
    );
    const other = new TestLedger(testLog("zhixin.example/other", label("other sealer")));
    other.append(...forger.ledger.entries);
    const otherNote = other.checkpoint([W1, W2], COSIGNED_AT);
    refused(
      "CHECKPOINT_UNTRUSTED",
      "/log",
      "a bundle of another log",
      formatEvidenceBundle(
        other.parts(forger.at("evidence"), ["addC1", "addC2", "retireC1"].map(forger.at), otherNote),
      ),
    );
  }
  refused(
    "WITNESS_SIGNATURE_INVALID",
    "/checkpoint",
    "a trust-root witness's cosignature altered",
    edit(honest, (b) => {
      const note = parseSignedNote(b.checkpoint);
      const { signature } = note.signatures[1] as { signature: Uint8Array };
      signature[63] = (signature[63] as number) ^ 1;
      b.checkpoint = formatSignedNote(note.text, note.signatures);
    }),
  );
  {
    // The operator shows the court a fork: its log after the evidence differs (no access entry).
    const fork = courtLog({
      access: record(
        H1,
        "housing-fund.deposit-certificate",
        { months: 12, status: "closed" },
        { receivedAt: t(40) },
      ),
    });
    const forked = bundleOf(fork, "evidence", undefined, { witnesses: [W3] });
    refused(
      "CHECKPOINT_UNWITNESSED",
      "/checkpoint",
      "a fork of the log, cosigned by one witness where the quorum is two",
      forked,
    );
    ok("the same fork, with the caller's minWitnesses 1: only the quorum told the fork apart", forked, {
      minWitnesses: 1,
    });
  }
  refused(
    "CHECKPOINT_UNWITNESSED",
    "/checkpoint",
    "cosigned by two witnesses, verified with the caller's minWitnesses 3",
    honest,
    { minWitnesses: 3 },
  );

  // Inclusion (step 4).
  refused(
    "INCLUSION_PROOF_INVALID",
    "/entry/inclusion",
    "the entry's inclusion is another entry's: a proof for another index",
    edit(honest, (b) => {
      const inclusion = base.ledger.inclusion(base.at("retireC1"));
      b.entry.inclusion = { index: inclusion.index, proof: inclusion.proof.map(toHex), size: inclusion.size };
    }),
  );
  refused(
    "INCLUSION_PROOF_INVALID",
    "/entry/inclusion",
    "the entry's proof is for a tree one entry smaller than the checkpoint's",
    edit(honest, (b) => {
      const inclusion = base.ledger.inclusion(
        base.at("evidence"),
        base.ledger.tree(base.ledger.entries.length - 1),
      );
      b.entry.inclusion = { index: inclusion.index, proof: inclusion.proof.map(toHex), size: inclusion.size };
    }),
  );
  refused(
    "INCLUSION_PROOF_INVALID",
    "/keyRecords/1/inclusion",
    "a key record's inclusion is the previous key record's",
    edit(honest, (b) => {
      b.keyRecords[1].inclusion = b.keyRecords[0].inclusion;
    }),
  );

  // Each envelope on its own (step 5), on a log whose operator sealed what it was given.
  {
    const evidence = record(C2, "evidence.digest", evidenceData(FILE), { receivedAt: t(20) });
    const rewritten = courtLog({
      evidence: { ...evidence, envelope: { ...evidence.envelope, id: "0".repeat(32) } },
    });
    refused(
      "ENTRY_BINDING_INVALID",
      "/entry/envelope",
      "the log holds the entry under an id not derived from its signed request",
      bundleOf(rewritten),
    );
    const late = courtLog({
      evidence: record(C2, "evidence.digest", evidenceData(FILE), {
        receivedAt: t(20),
        created: Date.parse(t(20)) / 1000 - 331,
      }),
    });
    refused(
      "RECEIVED_AT_INVALID",
      "/entry/envelope",
      "the log holds the entry received 331 s after its signature's created (at most 330 s)",
      bundleOf(late),
    );
  }

  // Payloads (steps 6 and 10).
  refused(
    "PAYLOAD_MISMATCH",
    "/entry/payload",
    "the entry's payload names another file's digest",
    edit(honest, (b) => {
      b.entry.payload = canonicalJson(evidenceData(utf8("another file\n")));
    }),
  );
  refused(
    "PAYLOAD_MISMATCH",
    "/keyRecords/1/payload",
    "the add of the signing key, its payload made an auditor's key",
    edit(honest, (b) => {
      b.keyRecords[1].payload = b.keyRecords[1].payload.replace('"department"', '"auditor"');
    }),
  );

  // The key history (step 7).
  refused(
    "KEY_HISTORY_INVALID",
    "/keyRecords/0",
    "the owner's first key left out, so the add of the signing key (signed by it) does not count",
    edit(honest, (b) => {
      b.keyRecords.shift();
    }),
  );
  {
    const forgedAdd = keyAdd(C2, { ...C1, sign: C2.sign }, { receivedAt: t(10) });
    refused(
      "ENTRY_SIGNATURE_INVALID",
      "/keyRecords/1",
      "the log holds an add of the signing key that names the first key as its signer but is signed by the new key",
      bundleOf(courtLog({ addC2: forgedAdd })),
    );
  }

  // The entry's key at its time (step 8) and its signature (step 9).
  refused("KEY_UNKNOWN", "/entry/envelope/keyId", "no key records", bundleOf(base, "evidence", []));
  refused(
    "KEY_REVOKED",
    "/entry/envelope/keyId",
    "the signing key revoked as compromised since before the entry",
    bundleOf(courtLog({}, { revokeC2: keyRevoke(C2.keyId, t(15), C2, { receivedAt: t(60) }) }), "evidence", [
      "addC1",
      "addC2",
      "retireC1",
      "revokeC2",
    ]),
  );
  refused(
    "KEY_NOT_VALID_AT_TIME",
    "/entry/envelope/keyId",
    "the log holds an entry signed by the owner's first key after its retire",
    bundleOf(
      courtLog({}, { afterRetire: record(C1, "evidence.digest", evidenceData(FILE), { receivedAt: t(35) }) }),
      "afterRetire",
    ),
  );
  refused(
    "ENTRY_SIGNATURE_INVALID",
    "/entry",
    "the log holds the entry with a signature made by another key than the one it names",
    bundleOf(
      courtLog({
        evidence: record({ ...C2, sign: H1.sign }, "evidence.digest", evidenceData(FILE), {
          receivedAt: t(20),
        }),
      }),
    ),
  );
  refused(
    "ENTRY_SIGNATURE_INVALID",
    "/entry",
    "the log holds an entry written as internet-court, signed with hf-haikou's key",
    bundleOf(
      courtLog({
        evidence: record({ ...H1, owner: "internet-court" }, "evidence.digest", evidenceData(FILE), {
          receivedAt: t(20),
        }),
      }),
      "evidence",
      ["addC1", "addH1", "addC2", "retireC1"],
    ),
  );

  // The file (§5).
  const modified = new Uint8Array(FILE);
  modified[9] = (modified[9] as number) ^ 0x20;
  refused("FILE_MISMATCH", undefined, "the court is shown a modified file", honest, {
    file: toBase64(modified),
    field: "sha256",
  });
  refused(
    "PAYLOAD_WITHHELD",
    undefined,
    "a file checked against a bundle whose payload was withheld",
    bundleOf(base, "evidence", undefined, { withhold: true }),
    { file, field: "sha256" },
  );
  refused("DIGEST_FIELD_INVALID", undefined, "a file checked against a field that holds no digest", honest, {
    file,
    field: "caseId",
  });
  return cases;
}
