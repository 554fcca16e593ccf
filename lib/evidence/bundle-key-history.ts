import {
  applyKeyRecord,
  type CryptoSuite,
  EMPTY_KEY_HISTORY,
  type EntryEnvelope,
  fromBase64,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  type KeyAddData,
  type KeyGovernance,
  type KeyHistory,
  type KeySignatureCheck,
  keyAt,
  type LedgerEnvelope,
  OWNER_ALONE,
  type PendingKeyRecord,
  parseJson,
  parseKeyCosign,
  type RecordedKey,
  utf8,
} from "#chain";
import { byLedgerOrder, type EvidenceBundle } from "./bundle-format.js";
import { EvidenceError } from "./errors.js";

/**
 * Step 7 of an evidence bundle's verification (docs/formats/evidence.md §3): the key
 * history its key records and cosigns make under the trust root's key governance, each
 * record's request signature checked with the key that history gives — and that check,
 * which step 9 makes for the entry too. bundle.ts runs the steps in order.
 */

/** One key record or cosign of a verified bundle (VerifiedEvidence.keyRecords). */
export interface VerifiedKeyRecord {
  entryId: string;
  /** zhixin.key.add, retire or revoke, or zhixin.cosign. */
  type: string;
  /** The envelope's dept: the owner of the key, or for a recovery or a cosign another department. */
  writer: string;
  /** The key the record is about (a cosign: the key its record is about). */
  keyId: string;
  /** The key that signed the record's request. */
  signedBy: string;
  receivedAt: string;
  logIndex: number;
  /** A zhixin.cosign: the key record it cosigns. */
  cosigns?: string;
  /**
   * A key record that awaited cosigns (a recovery; an owner's under ownerCosigns): the
   * cosign that completed it, from whose receivedAt it took effect — or null if it still
   * awaits cosigns in the bundle, and changed no key. Absent: it counted at its receivedAt.
   */
  completedBy?: string | null;
}

/**
 * Step 7: lib/chain's fold step (applyKeyRecord) over the bundle's key records and cosigns
 * in ledger order, under the trust root's key governance (OWNER_ALONE for a root without
 * one). The fold checks proofs of possession, not the records' own request signatures:
 * each is checked here — an owner's record with the key the fold judged (in the history
 * before the record, or for an owner's first key, the key it adds), a recovery or a cosign
 * with its writer's key valid then in the history before it (design/key-history.md §3: a
 * department signs those with its own key, which the bundle's key records must establish).
 */
export function foldBundleKeyRecords(
  suite: CryptoSuite,
  bundle: EvidenceBundle,
  verify: KeySignatureCheck,
  governance: KeyGovernance | undefined,
): { history: KeyHistory; keyRecords: VerifiedKeyRecord[] } {
  const ordered = bundle.keyRecords
    .map((record, i) => ({ record, pointer: `/keyRecords/${i}` }))
    .sort((a, b) => byLedgerOrder(a.record.envelope, b.record.envelope));
  let history = EMPTY_KEY_HISTORY;
  const keyRecords: VerifiedKeyRecord[] = [];
  /** Records that awaited cosigns: their entry in keyRecords, by entry id. */
  const awaited = new Map<string, VerifiedKeyRecord>();
  for (const { record, pointer } of ordered) {
    const { envelope } = record;
    const data = parseJson(record.payload);
    const step = applyKeyRecord(
      suite,
      history,
      {
        entryId: envelope.id,
        writer: envelope.dept,
        signedBy: envelope.keyId,
        receivedAt: envelope.receivedAt,
        type: envelope.type,
        data,
      },
      verify,
      governance ?? OWNER_ALONE,
    );
    if ("refusal" in step) {
      const { code, message } = step.refusal;
      const hint =
        governance === undefined && (code === "KEY_COSIGN_REFUSED" || code === "KEY_NOT_OWNED")
          ? ". The trust root carries no keyGovernance (it predates it), so no recovery by another department and no cosign counts: check the bundle against a trust root from `zhixin trust export`"
          : "";
      throw new EvidenceError("KEY_HISTORY_INVALID", `does not count (${code}): ${message}${hint}`, pointer);
    }
    if (step.signer !== undefined) checkRequestSignature(envelope, step.signer, verify, pointer, true);
    else checkRequestSignature(envelope, writersKey(history, envelope, pointer), verify, pointer, false);
    // A cosign that counted names a record awaiting cosigns in the history before it.
    const target =
      envelope.type === KEY_COSIGN_TYPE
        ? (history.pending.get(parseKeyCosign(data).entryId) as PendingKeyRecord)
        : undefined;
    const item: VerifiedKeyRecord = {
      entryId: envelope.id,
      type: envelope.type,
      writer: envelope.dept,
      keyId: target?.data.keyId ?? (data as { keyId: string }).keyId,
      signedBy: envelope.keyId,
      receivedAt: envelope.receivedAt,
      logIndex: record.inclusion.index,
      ...(target === undefined ? {} : { cosigns: target.entry.entryId }),
    };
    if (target !== undefined) {
      const awaiting = awaited.get(target.entry.entryId) as VerifiedKeyRecord;
      if (!step.history.pending.has(target.entry.entryId)) awaiting.completedBy = envelope.id;
    } else if (step.history.pending.has(envelope.id)) {
      item.completedBy = null;
      awaited.set(envelope.id, item);
    }
    history = step.history;
    keyRecords.push(item);
  }
  return { history, keyRecords };
}

/**
 * The key a recovery's or a cosign's writer signed it with, by the history before it: its
 * key valid at its receivedAt; or, while none of the writer's keys counts yet, the key of
 * its own first add awaiting cosigns (under ownerCosigns, departments cosign each other's
 * first keys before any counts: online the trust bundle vouches for those keys, offline
 * only the add's proof of possession does, as rule 1 lets a first key introduce itself).
 * KEY_HISTORY_INVALID otherwise: the bundle does not establish the writer's key.
 */
function writersKey(history: KeyHistory, envelope: EntryEnvelope, pointer: string): RecordedKey {
  const answer = keyAt(history, envelope.keyId, envelope.receivedAt);
  if (answer.valid) return answer.key;
  const counted = [...history.keys.values()].some((k) => k.owner === envelope.dept);
  const introduced = counted
    ? undefined
    : [...history.pending.values()].find(
        (p) => p.kind === "owner" && p.data.type === KEY_ADD_TYPE && p.data.keyId === envelope.keyId,
      );
  if (introduced !== undefined) {
    const { keyId, owner, role, alg, spki } = introduced.data as KeyAddData;
    return {
      keyId,
      owner,
      role,
      alg,
      spki,
      validFrom: introduced.entry.receivedAt,
      addEntry: introduced.entry.entryId,
    };
  }
  throw new EvidenceError(
    "KEY_HISTORY_INVALID",
    `${envelope.type} by ${envelope.dept} is signed by ${envelope.keyId}, ${answer.code} at ${envelope.receivedAt} by the bundle's key records: ` +
      `a recovery or a cosign is signed by its writer's own key, whose key records the bundle must hold`,
    pointer,
  );
}

/**
 * FORMATS.md §2 step 4 with the key the history gives: a key of the writer, of the
 * envelope's algorithm, a department's (any role's for a key record, design §3 rule 3),
 * whose signature over the signature base verifies.
 */
export function checkRequestSignature(
  envelope: LedgerEnvelope | EntryEnvelope,
  key: RecordedKey,
  verify: KeySignatureCheck,
  pointer: string,
  anyRole: boolean,
): void {
  const refuse = (message: string): never => {
    throw new EvidenceError("ENTRY_SIGNATURE_INVALID", `${envelope.keyId}: ${message}`, pointer);
  };
  if (key.owner !== envelope.dept) refuse(`a key of ${key.owner}, not of the writer ${envelope.dept}`);
  if (!anyRole && key.role !== "department") refuse(`an ${key.role} key, which signs only key records`);
  if (key.alg !== envelope.alg) refuse(`an ${key.alg} key, not ${envelope.alg}`);
  let ok: boolean;
  try {
    ok = verify(key.alg, key.spki, utf8(envelope.signatureBase), fromBase64(envelope.signature));
  } catch {
    ok = false; // a key the checker cannot read proves nothing
  }
  if (!ok) refuse("the request signature does not verify");
}
