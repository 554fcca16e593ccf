import { cosignsNeeded, KEY_OWNER, keyAt, ledgerKeys, toBase64 } from "#chain";
import { type Consortium, keyGovernanceOf, suiteOf } from "../../lib/consortium/consortium.js";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import { ApiError } from "../../lib/protocol/errors.js";
import type { KeyHistoryView } from "../../lib/protocol/keys.js";
import { type KeyRecordStore, loadKeyRecords } from "../store/key-records.js";

/**
 * `GET /v1/keys/{member}`: the member's keys by its committed key records, folded as the
 * API's authentication folds them (functions/auth/request-keys.ts), with each key's
 * status at `now`, and the records about its keys that await cosigns. A member with no
 * key on the ledger yet has none: its requests are still authenticated by the trust bundle.
 */
export async function readKeyHistory(
  store: KeyRecordStore,
  consortium: Consortium,
  member: string,
  now: Date,
): Promise<KeyHistoryView> {
  if (!KEY_OWNER.test(member)) {
    throw new ApiError("INVALID_PARAMETER", "member ids are 2 to 63 lowercase letters, digits and '-'");
  }
  const members = [...consortium.departments, ...consortium.auditors].map((m) => m.id);
  if (!members.includes(member)) {
    throw new ApiError("NOT_FOUND", `${member} is not a member of ${consortium.consortium}`);
  }
  const records = await loadKeyRecords(store, member);
  const governance = keyGovernanceOf(consortium);
  const suite = suiteOf(consortium);
  const { history } = ledgerKeys(suite, records, keySignatureCheckOf(suite), governance);
  const at = now.toISOString();
  return {
    member,
    keys: [...history.keys.values()].map((k) => ({
      keyId: k.keyId,
      role: k.role,
      alg: k.alg,
      spki: toBase64(k.spki),
      status:
        k.revokeEntry !== undefined ? "revoked" : keyAt(history, k.keyId, at).valid ? "active" : "retired",
      validFrom: k.validFrom,
      ...(k.validUntil === undefined ? {} : { validUntil: k.validUntil }),
      ...(k.compromisedSince === undefined ? {} : { compromisedSince: k.compromisedSince }),
      addEntry: k.addEntry,
      ...(k.retireEntry === undefined ? {} : { retireEntry: k.retireEntry }),
      ...(k.revokeEntry === undefined ? {} : { revokeEntry: k.revokeEntry }),
    })),
    records: records.map((r) => ({
      entryId: r.entryId,
      type: r.type,
      receivedAt: r.receivedAt,
      signedBy: r.signedBy,
    })),
    pending: [...history.pending.values()].map((p) => ({
      entryId: p.entry.entryId,
      type: p.entry.type,
      writer: p.entry.writer,
      receivedAt: p.entry.receivedAt,
      contentDigest: p.contentDigest,
      data: p.entry.data,
      kind: p.kind,
      cosigners: [...p.cosigners],
      cosignsNeeded: cosignsNeeded(governance, p, p.cosigners),
    })),
  };
}
