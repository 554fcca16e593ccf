import {
  ChainError,
  type Checkpoint,
  type Cosignature,
  type CosignatureKey,
  cosignatureKeyHash,
  cosignatureVerifierOf,
  equalBytes,
  type KeySignatureCheck,
  type NoteVerifier,
  openCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  type SignedNote,
  toHex,
  verifyCosignature,
} from "#chain";
import { WitnessError } from "./errors.js";

/**
 * Does a checkpoint carry cosignatures from at least `threshold` of the consortium's
 * witnesses (docs/formats/witness.md §4)? A verifier's question, answered with findings an
 * audit can report rather than a single yes or no.
 */

/** Finding codes, for the audit to report as they are. */
export const QUORUM_FINDING_CODES = ["CHECKPOINT_UNWITNESSED", "WITNESS_SIGNATURE_INVALID"] as const;
export type QuorumFindingCode = (typeof QUORUM_FINDING_CODES)[number];

export interface WitnessPolicy {
  /**
   * The witnesses' keys (c2sp.org/tlog-cosignature type 0x04, or the SM2 cosignature's), as
   * parseCosignatureVerifierKey returns: one or more per witness, a witness being a key name. Several under one name while
   * a witness's key is rotated (its old and new keys): the checkpoints it cosigned with either
   * count, and count once for it.
   */
  witnesses: readonly CosignatureKey[];
  /** How many distinct witnesses (key names) must have cosigned: 0 to witnessNames(witnesses).length. */
  threshold: number;
}

export interface QuorumFinding {
  code: QuorumFindingCode;
  /** The witness, as "<name>+<key ID hex>", for WITNESS_SIGNATURE_INVALID. */
  witness?: string;
  message: string;
}

export interface QuorumReport {
  /** At least `threshold` witnesses cosigned, and no line from a policy key failed. */
  ok: boolean;
  threshold: number;
  /** One valid cosignature per witness that cosigned, in policy order. */
  witnessed: Cosignature[];
  findings: QuorumFinding[];
}

/** The policy's witnesses: the distinct key names of its keys, in the order each first appears. */
export function witnessNames(witnesses: readonly CosignatureKey[]): string[] {
  return [...new Set(witnesses.map((w) => w.name))];
}

function policyError(message: string): never {
  throw new WitnessError("INVALID_POLICY", message);
}

/**
 * Refuses a policy whose threshold is not from 0 to its number of witnesses (distinct
 * names), a key that is not a cosigner's key (its key ID is not the cosignature key ID of
 * its name, algorithm and public key), one key listed twice, or one public key under two
 * names.
 */
export function assertWitnessPolicy(policy: WitnessPolicy): void {
  const { witnesses, threshold } = policy;
  if (!Array.isArray(witnesses)) policyError("witnesses must be an array");
  const n = witnessNames(witnesses).length;
  if (!Number.isSafeInteger(threshold) || threshold < 0 || threshold > n) {
    policyError(`threshold must be an integer from 0 to ${n}, the number of witnesses, got ${threshold}`);
  }
  witnesses.forEach((w, i) => {
    let keyHash: Uint8Array;
    try {
      keyHash = cosignatureKeyHash(w.name, w.alg, w.publicKey);
    } catch (e) {
      policyError(`witness key ${i + 1}: ${(e as Error).message}`);
    }
    if (!(w.keyHash instanceof Uint8Array) || !equalBytes(w.keyHash, keyHash)) {
      policyError(`witness ${w.name}: key ID is not ${toHex(keyHash)}, the cosignature key ID of its key`);
    }
    for (const other of witnesses.slice(0, i)) {
      if (w.name === other.name && equalBytes(w.keyHash, other.keyHash)) {
        policyError(`witness key ${w.name}+${toHex(w.keyHash)} is listed twice`);
      }
      // The cosignature/v1 message does not name the cosigner: one key under two names
      // would let one signature count for two witnesses.
      if (equalBytes(w.publicKey, other.publicKey)) {
        policyError(`witnesses ${other.name} and ${w.name} share a public key`);
      }
    }
  });
}

/**
 * Counts the valid cosignatures on a checkpoint note from the policy's witnesses, each
 * witness (key name) once, whichever of its keys signed and however many lines it has.
 * Lines from other keys (the log's own, unknown witnesses) are ignored, as
 * c2sp.org/signed-note requires. A line whose name and key ID are a policy witness's but
 * that does not verify is a WITNESS_SIGNATURE_INVALID finding and makes the report not ok,
 * as signed-note says a client should reject such a note. Fewer than `threshold` valid
 * witnesses is CHECKPOINT_UNWITNESSED.
 *
 * Signatures are checked with `check`, the ledger's own signature check (Ed25519 or SM2
 * over the key as recorded, recordedCosignerKey). The log's own signature is not checked
 * here: see openWitnessedCheckpoint. Throws ChainError INVALID_NOTE if the note is not a
 * signed checkpoint, WitnessError INVALID_POLICY for a bad policy.
 */
export function checkWitnessQuorum(
  note: string | Uint8Array | SignedNote,
  policy: WitnessPolicy,
  check: KeySignatureCheck,
): QuorumReport {
  assertWitnessPolicy(policy);
  const parsed = typeof note === "string" || note instanceof Uint8Array ? parseSignedNote(note) : note;
  parseCheckpoint(parsed.text);

  // One slot per witness name, in policy order: the first valid line in the note for it.
  const names = witnessNames(policy.witnesses);
  const witnessed: (Cosignature | undefined)[] = names.map(() => undefined);
  const findings: QuorumFinding[] = [];
  for (const line of parsed.signatures) {
    const key = policy.witnesses.find((w) => w.name === line.name && equalBytes(w.keyHash, line.keyHash));
    if (key === undefined) continue;
    const id = `${key.name}+${toHex(key.keyHash)}`;
    try {
      const cosignature = verifyCosignature(parsed.text, line, cosignatureVerifierOf(key, check));
      witnessed[names.indexOf(key.name)] ??= cosignature;
    } catch (e) {
      if (!(e instanceof ChainError)) throw e;
      findings.push({ code: "WITNESS_SIGNATURE_INVALID", witness: id, message: e.message });
    }
  }
  const valid = witnessed.filter((c): c is Cosignature => c !== undefined);
  if (valid.length < policy.threshold) {
    findings.push({
      code: "CHECKPOINT_UNWITNESSED",
      message: `${valid.length} of the ${policy.threshold} witness cosignatures required`,
    });
  }
  return { ok: findings.length === 0, threshold: policy.threshold, witnessed: valid, findings };
}

/**
 * What a verifier does with a published checkpoint: the log's signature (openCheckpoint:
 * a trusted key, the expected origin), then the witness quorum. Throws ChainError
 * INVALID_NOTE when the log's signature fails; the quorum is reported, not thrown.
 */
export function openWitnessedCheckpoint(
  note: string | Uint8Array,
  logVerifiers: readonly NoteVerifier[],
  origin: string,
  policy: WitnessPolicy,
  check: KeySignatureCheck,
): { checkpoint: Checkpoint; quorum: QuorumReport } {
  const checkpoint = openCheckpoint(note, logVerifiers, origin);
  return { checkpoint, quorum: checkWitnessQuorum(note, policy, check) };
}
