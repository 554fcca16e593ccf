import { z } from "zod";
import {
  type EntryEnvelope,
  isAccessEnvelope,
  isKeyRecordType,
  type JsonValue,
  KEY_COSIGN_TYPE,
} from "#chain";
import { type Consortium, signersOf, suiteOf } from "../../lib/consortium/consortium.js";
import type { Signatures } from "../../lib/protocol/entries.js";
import { ApiError } from "../../lib/protocol/errors.js";
import type { BatchStore, CosignMark, CosignStore } from "../store/ports.js";
import type { PreparedBatch, RecordRule, RuleDeps, RuleStore, WantedClaim } from "./rule.js";
import { uniqueKeyFor } from "./unique-keys.js";

/**
 * Multi-party records (S4 fund transfers, S7 approvals; docs/design/sharing.md §6). A
 * record type with `signers` needs each of them to sign a record of it. The writer's own
 * submission is its signature; each other signer submits a record of the reserved type
 *
 *   zhixin.cosign  { "entryId": "<32 hex>", "contentDigest": "<64 hex>" }
 *
 * through POST /v1/entries, signed with its own key like any record. Each cosign takes a
 * uniqueness claim on (target, department) — the race-safe machinery of
 * unique-claims.ts, so two concurrent cosigns by one department cannot both commit — and
 * writes a CosignMark under the target, so its signatures are read with one query.
 *
 * A cosign of a key record is not judged here: the key history's fold judges it
 * (key-records.ts), under the consortium's key-record governance.
 */

/** The one name of the type (lib/chain's, where the key history's fold reads cosigns too). */
export const COSIGN_TYPE = KEY_COSIGN_TYPE;

const CosignData = z
  .object({
    entryId: z.string().regex(/^[0-9a-f]{32}$/, "32 lowercase hex digits"),
    contentDigest: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
  })
  .strict();

/** The cosign rule: owns zhixin.cosign; each cosign claims (entry, department) and marks the entry. */
export const cosignRule: RecordRule = {
  name: "cosign",
  ownsType: (type) => type === COSIGN_TYPE,
  apply: prepareCosigns,
};

export interface PreparedCosigns {
  claims: WantedClaim[];
  marks: CosignMark[];
}

/**
 * Checks every cosign record of a batch against the entry it names; refuses, before any
 * write, one naming no committed entry, one of a type without signers or a caller who is
 * not a signer, one with another contentDigest, and a second signature by the same
 * department (the writer has signed by submitting). A claim held by another cosign of
 * the same department is COSIGN_DUPLICATE too, when intake takes it.
 */
export async function prepareCosigns(batch: PreparedBatch, deps: RuleDeps): Promise<PreparedCosigns> {
  const { department } = batch.submitter;
  const { entryIds, batchKey, receivedAt } = batch;
  const out: PreparedCosigns = { claims: [], marks: [] };
  const seen = new Set<string>();
  for (const [index, r] of batch.records.entries()) {
    if (r.type !== COSIGN_TYPE) continue;
    const parsed = CosignData.safeParse(r.data);
    if (!parsed.success) {
      throw new ApiError(
        "SCHEMA_VIOLATION",
        `records[${index}] is not a valid ${COSIGN_TYPE}: data must be {entryId, contentDigest}`,
        parsed.error.issues.map((i) => ({ index, path: `/${i.path.join("/")}`, message: i.message })),
      );
    }
    const { entryId: target, contentDigest } = parsed.data;
    const envelope = await committedEnvelope(deps.store, target);
    if (!envelope)
      throw new ApiError("COSIGN_TARGET_NOT_FOUND", `records[${index}]: no committed entry ${target}`, {
        index,
      });
    // A key record's cosign is the key history's (key-records.ts keyCosignOwner).
    if (isKeyRecordType(envelope.type)) continue;
    const signers = signersOf(deps.consortium, envelope.type);
    if (!signers?.includes(department)) {
      throw new ApiError(
        "COSIGN_NOT_SIGNER",
        `records[${index}]: ${department} is not a signer of ${envelope.type} records`,
        { index, signers: signers ?? [] },
      );
    }
    if (envelope.contentDigest !== contentDigest) {
      throw new ApiError(
        "COSIGN_DIGEST_MISMATCH",
        `records[${index}]: entry ${target} has another contentDigest`,
        { index, expected: envelope.contentDigest },
      );
    }
    if (envelope.dept === department || seen.has(target)) {
      throw new ApiError(
        "COSIGN_DUPLICATE",
        `records[${index}]: ${department} has already signed ${target}`,
        {
          index,
        },
      );
    }
    seen.add(target);
    const entryId = entryIds[index] as string;
    out.claims.push({
      index,
      fields: ["entryId"],
      claim: {
        key: uniqueKeyFor(suiteOf(deps.consortium), deps.subjectKey, COSIGN_TYPE, [
          target,
          department,
        ] as JsonValue[]),
        batchKey,
        entryId,
        claimedAt: receivedAt,
      },
      duplicate: () =>
        new ApiError(
          "COSIGN_DUPLICATE",
          `records[${index}]: this department has signed that entry already, or is signing it now`,
          { index },
        ),
    });
    out.marks.push({ target, dept: department, entryId, batchKey, receivedAt });
  }
  return out;
}

/** What signaturesOf reads: the marks under a record, and the batches of their cosigns. */
export type SignatureStore = Pick<CosignStore, "listCosignMarks"> & Pick<BatchStore, "getBatches">;

/** The record's signatures, when its type has signers; marks of uncommitted cosigns are left out. */
export async function signaturesOf(
  envelope: EntryEnvelope,
  store: SignatureStore,
  consortium: Consortium,
): Promise<Signatures | undefined> {
  const required = signersOf(consortium, envelope.type);
  if (!required) return undefined;
  const marks = (await store.listCosignMarks(envelope.id)).filter(
    (m) => required.includes(m.dept) && m.dept !== envelope.dept,
  );
  const batches = await store.getBatches(marks.map((m) => m.batchKey));
  const committed = new Set(batches.flatMap((b) => b.envelopes.map((e) => e.id)));
  const signed = [
    { department: envelope.dept, entryId: envelope.id, receivedAt: envelope.receivedAt },
    ...marks
      .filter((m) => committed.has(m.entryId))
      .map((m) => ({ department: m.dept, entryId: m.entryId, receivedAt: m.receivedAt })),
  ];
  const done = new Set(signed.map((s) => s.department));
  return { required, signed, complete: required.every((d) => done.has(d)) };
}

async function committedEnvelope(store: RuleStore, id: string): Promise<EntryEnvelope | undefined> {
  const payload = await store.getPayload(id);
  const batch = payload && (await store.getBatch(payload.batchKey));
  const envelope = batch?.envelopes.find((e) => e.id === id);
  // Access entries are the ledger's, not a department's records: nothing to co-sign.
  return envelope && !isAccessEnvelope(envelope) ? envelope : undefined;
}
