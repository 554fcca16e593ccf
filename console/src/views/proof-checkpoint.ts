import {
  type Checkpoint,
  equalBytes,
  type KeySignatureCheck,
  noteVerifierOf,
  openCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  toHex,
} from "#chain";
import type { TrustRoot } from "../../../lib/evidence/trust-root.js";
import { checkWitnessQuorum, witnessNames } from "../../../lib/witness/index.js";

/**
 * Who signed a published checkpoint (GET /v1/log/checkpoint, docs/formats/witness.md), and
 * whether each signature holds against the trust root the user loaded: the sealer's by
 * lib/chain openCheckpoint with that key alone, the witnesses' by lib/witness
 * checkWitnessQuorum — the checks lib/evidence openTrustedCheckpoint makes, kept apart so
 * that each line gets its own answer. Without a trust root the lines are listed unchecked.
 * Pure and synchronous: run it under withWebCrypto (console/src/signatures.ts).
 */

export type SignerRole = "sealer" | "witness" | "other";
/**
 * valid / invalid: the line's signature checked by a key of the trust root; unchecked: no
 * trust root held; unknown-key: no key of the root has its name and key ID (ignored, as
 * c2sp.org/signed-note says); absent: a witness of the root that did not cosign.
 */
export type SignerState = "valid" | "invalid" | "unchecked" | "unknown-key" | "absent";

export interface CheckpointSigner {
  name: string;
  /** Hex 4-byte key ID of the line (absent for a witness that did not sign). */
  keyId?: string;
  role: SignerRole;
  state: SignerState;
  /** A witness's cosignature time (POSIX seconds), when its cosignature holds. */
  timestamp?: number;
}

export interface CheckpointSigners {
  checkpoint: Checkpoint;
  signers: CheckpointSigner[];
  /** Against a trust root: whether the sealer signed and the witness quorum was met. */
  trusted?: { sealer: boolean; witnessed: number; quorum: number; ok: boolean; sameLog: boolean };
}

/** Throws lib/chain's ChainError (INVALID_NOTE) when `note` is not a signed checkpoint. */
export function checkpointSigners(
  note: string,
  root: TrustRoot | undefined,
  checks: { verifySignature: KeySignatureCheck } | undefined,
): CheckpointSigners {
  const parsed = parseSignedNote(note);
  const checkpoint = parseCheckpoint(parsed.text);
  if (root === undefined || checks === undefined) {
    return {
      checkpoint,
      signers: parsed.signatures.map((s) => ({
        name: s.name,
        keyId: toHex(s.keyHash),
        role: s.name === checkpoint.origin ? "sealer" : "witness",
        state: "unchecked",
      })),
    };
  }

  const sameLog = checkpoint.origin === root.log;
  const quorum = checkWitnessQuorum(
    parsed,
    { witnesses: root.witnesses, threshold: root.quorum },
    checks.verifySignature,
  );
  const signers: CheckpointSigner[] = parsed.signatures.map((s) => {
    const keyId = toHex(s.keyHash);
    const sealerKey = root.sealers.find((k) => k.name === s.name && equalBytes(k.keyHash, s.keyHash));
    if (sealerKey !== undefined) {
      let valid = sameLog;
      try {
        openCheckpoint(note, [noteVerifierOf(sealerKey, checks.verifySignature)], root.log);
      } catch {
        valid = false;
      }
      return { name: s.name, keyId, role: "sealer", state: valid ? "valid" : "invalid" };
    }
    const witnessKey = root.witnesses.find((w) => w.name === s.name && equalBytes(w.keyHash, s.keyHash));
    if (witnessKey === undefined) {
      return { name: s.name, keyId, role: s.name === root.log ? "sealer" : "other", state: "unknown-key" };
    }
    const cosigned = quorum.witnessed.find((c) => c.name === s.name && equalBytes(c.keyHash, s.keyHash));
    const forged = quorum.findings.some((f) => f.witness === `${s.name}+${keyId}`);
    return cosigned !== undefined && !forged
      ? { name: s.name, keyId, role: "witness", state: "valid", timestamp: cosigned.timestamp }
      : { name: s.name, keyId, role: "witness", state: "invalid" };
  });
  for (const name of witnessNames(root.witnesses)) {
    if (!signers.some((s) => s.role === "witness" && s.name === name)) {
      signers.push({ name, role: "witness", state: "absent" });
    }
  }
  const sealer = signers.some((s) => s.role === "sealer" && s.state === "valid");
  return {
    checkpoint,
    signers,
    trusted: {
      sealer,
      witnessed: quorum.witnessed.length,
      quorum: root.quorum,
      ok: sameLog && sealer && quorum.ok,
      sameLog,
    },
  };
}
