import {
  type ChainError,
  type Checkpoint,
  type CryptoSuite,
  entryLeafHash,
  isAccessEnvelope,
  isKeyRecordType,
  type JsonValue,
  type KeyGovernance,
  type KeyRole,
  type KeySignatureCheck,
  keyAt,
  type LedgerEnvelope,
  parseJson,
  parseSignatureBase,
  type RecordedKey,
  type SignatureAlgorithm,
  toBase64,
  toHex,
  utf8,
  verifyEnvelope,
  verifyInclusion,
} from "#chain";
import { witnessNames } from "../witness/index.js";
import { type BundleInclusion, parseEvidenceBundle } from "./bundle-format.js";
import { checkRequestSignature, foldBundleKeyRecords, type VerifiedKeyRecord } from "./bundle-key-history.js";
import { EvidenceError } from "./errors.js";
import { openTrustedCheckpoint, type TrustRoot } from "./trust-root.js";

/**
 * The offline verifier of an evidence bundle (docs/formats/evidence.md §3): with nothing
 * but a trust root and the signature checks passed in, does this file prove its entry —
 * who wrote it, when the ledger received it, with which key, under which witnessed
 * checkpoint, and (if present) its payload? Synchronous and pure, so a court's tool, the
 * CLI and a browser run the same code. The first failed check, in §3's order, is thrown
 * as an EvidenceError with its code; a bundle that passes them all gives what it proves,
 * as plain data.
 */

/** The signature checks a verifier passes in: lib/evidence has no crypto beyond hashes. */
export interface EvidenceChecks {
  /**
   * A signature by a key as the ledger records it (lib/chain's KeySignatureCheck): request
   * signatures, proofs of possession, the sealer's headers and checkpoints and the
   * witnesses' cosignatures (Ed25519 under intl, SM2 under gm; P-256 requests under intl).
   */
  verifySignature: KeySignatureCheck;
}

export interface VerifyEvidenceOptions {
  /** Witness cosignatures required, 0 to the root's number of witnesses; the root's quorum by default. */
  minWitnesses?: number;
}

/**
 * Always in a verified bundle's result (design/key-history.md §6): what no bundle of
 * version 1 can exclude, since an inclusion proof shows what a log holds, never what it
 * does not.
 */
export const KEY_HISTORY_CAVEAT =
  "The signing key was judged by the key records in this bundle only. Key records the log holds " +
  "below the checkpoint but the bundle leaves out are not excluded: a later retire or revoke of " +
  "the key (or the cosign that completes one), or an earlier key of its owner that would have made " +
  "the first add in the bundle not count. A full audit of the log (online, or over an export) sees " +
  "every key record.";

/** What a verified bundle proves, in plain data (docs/formats/evidence.md §4). */
export interface VerifiedEvidence {
  /** The log's origin, the trust root's. */
  log: string;
  entry: {
    id: string;
    /** "record" (FORMATS.md §2) or "access" (§8). */
    kind: "record" | "access";
    type: string;
    /** The member that wrote it (the envelope's dept, which its signature covers). */
    writer: string;
    /** When the ledger received it: the operator's clock, within −300 s … +330 s of signedAt. */
    receivedAt: string;
    /** The signature's `created` (Unix seconds): the writer's own clock, which it signed; null if absent. */
    signedAt: number | null;
    /** Its index in the log, proven under the checkpoint. */
    logIndex: number;
    /** Hex H (the suite's hash) of the payload text, which the writer's signature covers (for records, through the batch root). */
    contentDigest: string;
  };
  checkpoint: {
    size: number;
    /** Hex RFC 6962 root of the log's first `size` entries. */
    rootHash: string;
    /** The witness cosignatures required (the root's quorum unless the caller said otherwise). */
    minWitnesses: number;
    /** Every trust-root witness whose cosignature verified, with the time it says it cosigned (Unix seconds). */
    witnesses: Array<{ name: string; keyHash: string; timestamp: number }>;
  };
  /** The key that signed the entry, as the bundle's key records establish it. */
  signingKey: {
    keyId: string;
    owner: string;
    role: KeyRole;
    alg: SignatureAlgorithm;
    /** Base64 DER SubjectPublicKeyInfo. */
    spki: string;
    validFrom: string;
    /** Set when a retire (or revoke) in the bundle ended it, after the entry. */
    validUntil?: string;
    /** Set when a revoke in the bundle names a compromise, after the entry. */
    compromisedSince?: string;
  };
  /**
   * The key governance the key records were folded under: the trust root's, or null for a
   * root that carries none (folded as OWNER_ALONE: owners decide alone, no recovery counts).
   */
  keyGovernance: KeyGovernance | null;
  /** The bundle's key records and cosigns, all of which counted, in ledger order (the fold's). */
  keyRecords: VerifiedKeyRecord[];
  /** The payload text and its data, or null when the producer withheld it (contentDigest still binds it). */
  payload: { text: string; data: { [key: string]: JsonValue } } | null;
  /** Always false in version 1: see caveat. */
  keyHistoryComplete: false;
  /** KEY_HISTORY_CAVEAT. */
  caveat: string;
}

interface Item {
  pointer: string;
  envelope: LedgerEnvelope;
  inclusion: BundleInclusion;
}

/**
 * Verifies an evidence bundle (its file's text or bytes) against a trust root, in the
 * order of docs/formats/evidence.md §3:
 *
 *   1  the file's form                                         BUNDLE_INVALID
 *   2  its log is the root's; the sealer signed the checkpoint  CHECKPOINT_UNTRUSTED
 *   3  no trust-root witness's cosignature fails;               WITNESS_SIGNATURE_INVALID
 *      at least minWitnesses of them verify                     CHECKPOINT_UNWITNESSED
 *   4  the entry's and each key record's leaf is in the
 *      checkpoint's tree at its index                           INCLUSION_PROOF_INVALID
 *   5  each envelope is bound to a signed request, and was      ENTRY_BINDING_INVALID
 *      received when the API would accept it                    RECEIVED_AT_INVALID
 *   6  each key record's payload is its contentDigest's         PAYLOAD_MISMATCH
 *   7  the key records and cosigns, in ledger order, each       KEY_HISTORY_INVALID
 *      count in the fold under the root's key governance, with
 *      its request signed by the key the fold judged (an        ENTRY_SIGNATURE_INVALID
 *      owner's record) or by its writer's key then (a recovery,
 *      a cosign)
 *   8  the entry's key at its receivedAt                        KEY_UNKNOWN, KEY_REVOKED,
 *                                                               KEY_NOT_VALID_AT_TIME
 *   9  the entry's request signature by that key, of its        ENTRY_SIGNATURE_INVALID
 *      writer and algorithm
 *  10  the entry's payload, if present                          PAYLOAD_MISMATCH
 *
 * Throws RangeError for a minWitnesses outside 0 … the root's witnesses (the caller's
 * mistake, not the bundle's).
 */
export function verifyEvidenceBundle(
  file: string | Uint8Array,
  root: TrustRoot,
  checks: EvidenceChecks,
  options: VerifyEvidenceOptions = {},
): VerifiedEvidence {
  const minWitnesses = options.minWitnesses ?? root.quorum;
  const n = witnessNames(root.witnesses).length;
  if (!Number.isSafeInteger(minWitnesses) || minWitnesses < 0 || minWitnesses > n)
    throw new RangeError(`minWitnesses must be an integer from 0 to ${n}, the root's witnesses`);

  const bundle = parseEvidenceBundle(file);

  if (bundle.log !== root.log)
    throw new EvidenceError("CHECKPOINT_UNTRUSTED", `a bundle of ${bundle.log}, not of ${root.log}`, "/log");
  const { checkpoint, quorum } = openTrustedCheckpoint(bundle.checkpoint, root, checks);

  const forged = quorum.findings.find((f) => f.code === "WITNESS_SIGNATURE_INVALID");
  if (forged !== undefined)
    throw new EvidenceError(
      "WITNESS_SIGNATURE_INVALID",
      `${forged.witness}: ${forged.message}`,
      "/checkpoint",
    );
  if (quorum.witnessed.length < minWitnesses)
    throw new EvidenceError(
      "CHECKPOINT_UNWITNESSED",
      `${quorum.witnessed.length} of the ${minWitnesses} witness cosignatures required`,
      "/checkpoint",
    );

  const items: Item[] = [
    { pointer: "/entry", ...bundle.entry },
    ...bundle.keyRecords.map((r, i) => ({ pointer: `/keyRecords/${i}`, ...r })),
  ];
  for (const item of items) checkInclusion(root.suite, item, checkpoint);
  for (const item of items) checkBinding(root.suite, item);
  bundle.keyRecords.forEach((r, i) => {
    checkPayload(root.suite, r.envelope, r.payload, `/keyRecords/${i}/payload`);
  });

  const { history, keyRecords } = foldBundleKeyRecords(
    root.suite,
    bundle,
    checks.verifySignature,
    root.keyGovernance,
  );

  const { envelope } = bundle.entry;
  const answer = keyAt(history, envelope.keyId, envelope.receivedAt);
  if (!answer.valid)
    throw new EvidenceError(
      answer.code,
      `${envelope.keyId} at ${envelope.receivedAt}, by the bundle's key records`,
      "/entry/envelope/keyId",
    );
  const keyRecordEntry = !isAccessEnvelope(envelope) && isKeyRecordType(envelope.type);
  checkRequestSignature(envelope, answer.key, checks.verifySignature, "/entry", keyRecordEntry);

  const { payload } = bundle.entry;
  if (payload !== null) checkPayload(root.suite, envelope, payload, "/entry/payload");

  return {
    log: bundle.log,
    entry: {
      id: envelope.id,
      kind: isAccessEnvelope(envelope) ? "access" : "record",
      type: envelope.type,
      writer: envelope.dept,
      receivedAt: envelope.receivedAt,
      signedAt: parseSignatureBase(envelope.signatureBase).params.created ?? null,
      logIndex: bundle.entry.inclusion.index,
      contentDigest: envelope.contentDigest,
    },
    checkpoint: {
      size: checkpoint.size,
      rootHash: toHex(checkpoint.rootHash),
      minWitnesses,
      witnesses: quorum.witnessed.map((c) => ({
        name: c.name,
        keyHash: toHex(c.keyHash),
        timestamp: c.timestamp,
      })),
    },
    signingKey: signingKeyOf(answer.key),
    keyGovernance: root.keyGovernance ?? null,
    keyRecords,
    payload:
      payload === null ? null : { text: payload, data: parseJson(payload) as { [key: string]: JsonValue } },
    keyHistoryComplete: false,
    caveat: KEY_HISTORY_CAVEAT,
  };
}

/** Step 4: the envelope's leaf (FORMATS.md §2, §8) at its index in the checkpoint's tree. */
function checkInclusion(suite: CryptoSuite, item: Item, checkpoint: Checkpoint): void {
  const { index, size, proof } = item.inclusion;
  const at = `${item.pointer}/inclusion`;
  if (size !== checkpoint.size)
    throw new EvidenceError(
      "INCLUSION_PROOF_INVALID",
      `a proof for a tree of ${size}, the checkpoint's has ${checkpoint.size}`,
      at,
    );
  try {
    verifyInclusion(suite, entryLeafHash(suite, item.envelope), index, size, proof, checkpoint.rootHash);
  } catch (e) {
    // verifyInclusion throws ChainError only: a proof of the wrong form, size or root.
    throw new EvidenceError("INCLUSION_PROOF_INVALID", (e as ChainError).message, at);
  }
}

/** Step 5: lib/chain's checks of one envelope on its own, before any signature (FORMATS.md §2 steps 1–3, 5). */
function checkBinding(suite: CryptoSuite, item: Item): void {
  const [finding] = verifyEnvelope(item.envelope, undefined, { suite });
  if (finding === undefined) return;
  // verifyEnvelope reports BATCH_PROOF_INVALID or SIGNATURE_BASE_INVALID before RECEIVED_AT_INVALID.
  const code = finding.code === "RECEIVED_AT_INVALID" ? "RECEIVED_AT_INVALID" : "ENTRY_BINDING_INVALID";
  throw new EvidenceError(code, finding.message, `${item.pointer}/envelope`);
}

function checkPayload(suite: CryptoSuite, envelope: LedgerEnvelope, payload: string, pointer: string): void {
  const digest = toHex(suite.hash(utf8(payload)));
  if (digest !== envelope.contentDigest)
    throw new EvidenceError(
      "PAYLOAD_MISMATCH",
      `the payload's SHA-256 is ${digest}, the envelope's contentDigest ${envelope.contentDigest}`,
      pointer,
    );
}

function signingKeyOf(key: RecordedKey): VerifiedEvidence["signingKey"] {
  return {
    keyId: key.keyId,
    owner: key.owner,
    role: key.role,
    alg: key.alg,
    spki: toBase64(key.spki),
    validFrom: key.validFrom,
    ...(key.validUntil === undefined ? {} : { validUntil: key.validUntil }),
    ...(key.compromisedSince === undefined ? {} : { compromisedSince: key.compromisedSince }),
  };
}
