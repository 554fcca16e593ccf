import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ChainError,
  formatCheckpoint,
  formatSignedNote,
  formatVerifierKey,
  GM,
  NOTE_SIGNATURE_TYPE_ECDSA,
  NOTE_SIGNATURE_TYPE_ED25519,
  NOTE_SIGNATURE_TYPE_SM2,
  noteKeyHash,
  noteKeyHashOf,
  noteKeyOf,
  noteMessage,
  noteSignatureTypeOf,
  noteVerifierOf,
  openCheckpoint,
  parseVerifierKey,
  recordedKeyOf,
  type SignatureAlgorithm,
  toHex,
} from "#chain";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { keySignatureCheckOf } from "../../../../lib/crypto/verify.js";

const LOG = "zhixin.example/note-keys";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof ChainError ? e.code : `not a ChainError: ${String(e)}`;
  }
  return undefined;
}

async function sealerOf(alg: SignatureAlgorithm) {
  const signer = new LocalSigner("sealer", generateKeyPair(alg).privateKey, alg);
  return { signer, spki: await signer.publicKey() };
}

/** A checkpoint signed as the sealer signs it (functions/ledger/sealer.ts signCheckpoint). */
async function signedCheckpoint(alg: SignatureAlgorithm, size = 7): Promise<{ note: string; vkey: string }> {
  const { signer, spki } = await sealerOf(alg);
  const text = formatCheckpoint({ origin: LOG, size, rootHash: new Uint8Array(32).fill(size) });
  const signature = await signer.sign(noteMessage(text));
  const note = formatSignedNote(text, [{ name: LOG, keyHash: noteKeyHashOf(LOG, alg, spki), signature }]);
  const key = noteKeyOf(alg, spki);
  return { note, vkey: formatVerifierKey(LOG, key.type, key.publicKey) };
}

describe("a ledger signing key as a signed-note key (checkpoint.md §1.3)", () => {
  it("Ed25519 is type 0x01 with the raw 32-byte key; SM2 is type 0xff with its SPKI", async () => {
    const ed = await sealerOf("ed25519");
    expect(noteKeyOf("ed25519", ed.spki)).toEqual({
      type: NOTE_SIGNATURE_TYPE_ED25519,
      publicKey: ed.spki.slice(12),
    });
    const sm2 = await sealerOf("sm2-sm3");
    expect(noteKeyOf("sm2-sm3", sm2.spki)).toEqual({ type: NOTE_SIGNATURE_TYPE_SM2, publicKey: sm2.spki });
    expect(noteSignatureTypeOf("ed25519")).toBe(0x01);
    expect(noteSignatureTypeOf("sm2-sm3")).toBe(0xff);
    expect(noteSignatureTypeOf("ecdsa-p256-sha256")).toBeUndefined();
  });

  it.each(["ed25519", "sm2-sm3"] as const)(
    "%s: the vkey gives back the recorded key, and its key ID",
    async (alg) => {
      const { spki } = await sealerOf(alg);
      const key = noteKeyOf(alg, spki);
      const parsed = parseVerifierKey(formatVerifierKey(LOG, key.type, key.publicKey));
      const recorded = recordedKeyOf(parsed);
      expect(recorded.alg).toBe(alg);
      expect(toHex(recorded.spki)).toBe(toHex(spki));
      expect(toHex(noteKeyHashOf(LOG, alg, spki))).toBe(toHex(noteKeyHash(LOG, key.type, key.publicKey)));
    },
  );

  it("refuses an ECDSA key (type 0x02 signs DER over SHA-256, not the ledger's r || s) and a SPKI of another algorithm", async () => {
    const p256 = await sealerOf("ecdsa-p256-sha256");
    expect(codeOf(() => noteKeyOf("ecdsa-p256-sha256", p256.spki))).toBe("INVALID_NOTE");
    expect(codeOf(() => noteKeyOf("sm2-sm3", p256.spki))).toBe("INVALID_NOTE");
    expect(codeOf(() => noteKeyOf("ed25519", p256.spki))).toBe("INVALID_NOTE");
    expect(codeOf(() => recordedKeyOf({ type: NOTE_SIGNATURE_TYPE_ECDSA, publicKey: p256.spki }))).toBe(
      "INVALID_NOTE",
    );
  });

  it.each(["ed25519", "sm2-sm3"] as const)(
    "%s: a checkpoint the sealer signs opens with noteVerifierOf its vkey, and no other key's",
    async (alg) => {
      const { note, vkey } = await signedCheckpoint(alg);
      const verifier = noteVerifierOf(parseVerifierKey(vkey), keySignatureCheckOf(GM));
      expect(openCheckpoint(note, [verifier], LOG).size).toBe(7);
      // Another key of the same name and algorithm: its key ID differs, so nothing verifies.
      const other = await signedCheckpoint(alg);
      const otherVerifier = noteVerifierOf(parseVerifierKey(other.vkey), keySignatureCheckOf(GM));
      expect(codeOf(() => openCheckpoint(note, [otherVerifier], LOG))).toBe("INVALID_NOTE");
      // The same key ID over a changed text: the signature fails.
      const changed = note.replace(`${LOG}\n7\n`, `${LOG}\n8\n`);
      expect(codeOf(() => openCheckpoint(changed, [verifier], LOG))).toBe("INVALID_NOTE");
    },
  );

  it("an SM2 vkey is not an Ed25519 one: an Ed25519 check of an SM2 note fails", async () => {
    const { note, vkey } = await signedCheckpoint("sm2-sm3");
    const key = parseVerifierKey(vkey);
    const asEd25519 = noteVerifierOf(key, (alg, spki, message, signature) =>
      keySignatureCheckOf(GM)(alg === "sm2-sm3" ? "ed25519" : alg, spki, message, signature),
    );
    expect(codeOf(() => openCheckpoint(note, [asEd25519], LOG))).toBe("INVALID_NOTE");
    // node:crypto's own P-256 key under the SM2 type: refused as a vkey (not the SM2 SPKI).
    const p256 = new Uint8Array(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "der", type: "spki" }),
    );
    expect(codeOf(() => formatVerifierKey(LOG, NOTE_SIGNATURE_TYPE_SM2, p256))).toBe("INVALID_NOTE");
  });
});
