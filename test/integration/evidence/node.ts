import { generateKeyPairSync, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  deriveKeyId,
  formatVerifierKey,
  fromBase64,
  KEY_ADD_TYPE,
  keyPopMessage,
  NOTE_SIGNATURE_TYPE_ED25519,
  toBase64,
} from "#chain";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { witnessQuorumOf } from "../../../lib/consortium/consortium.js";
import { ed25519RawPublicKey } from "../../../lib/crypto/keys.js";
import { verifyEd25519, verifyRecordedKeySignature } from "../../../lib/crypto/verify.js";
import { type EvidenceChecks, formatTrustRoot, parseTrustRoot } from "../../../lib/evidence/index.js";
import { keyFile, trustFile } from "../../../lib/local-home.js";
import type { LocalConsortium } from "../../../local/consortium-node.js";

// What the evidence tests share: a member's key record of its own first key, the trust
// root of a local consortium built from its parts (the CLI's `zhixin trust export` is
// tested against it), and node:crypto's signature checks as lib/evidence takes them.

/** lib/evidence's signature checks, by node:crypto (lib/crypto/verify.ts). */
export const CHECKS: EvidenceChecks = {
  verifyEd25519,
  verifySignature: verifyRecordedKeySignature,
};

/** A zhixin.key.add record of a key (PKCS#8 or KeyObject), with its proof of possession. */
export function keyAddRecord(
  owner: string,
  key: { spki: Uint8Array; sign: (message: Uint8Array) => Uint8Array },
  role: "department" | "auditor" = "department",
): { type: string; data: Record<string, unknown> } {
  const keyId = deriveKeyId(owner, key.spki);
  return {
    type: KEY_ADD_TYPE,
    data: {
      alg: "ed25519",
      keyId,
      owner,
      pop: toBase64(key.sign(keyPopMessage(keyId))),
      role,
      spki: toBase64(key.spki),
    },
  };
}

/** The add of a member's key file (`keys/<member>.pem`): its first key introducing itself. */
export async function firstKeyRecord(home: string, member: string) {
  const signer = await readOwnerSignerFile(keyFile(home, member), member);
  const spki = await signer.publicKey();
  const keyId = signer.keyId;
  const pop = await signer.sign(keyPopMessage(keyId));
  return keyAddRecord(member, { spki, sign: () => pop });
}

/** A fresh Ed25519 key: its SPKI and a signing function. */
export function freshKey(): { spki: Uint8Array; sign: (message: Uint8Array) => Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** The trust root of a running local consortium, from its parts (docs/formats/trust-root.md §4). */
export async function trustRootText(node: LocalConsortium): Promise<string> {
  const bundle = JSON.parse(await readFile(trustFile(node.home), "utf8")) as {
    keys: Array<{ role: string; spki: string }>;
  };
  const sealer = bundle.keys.find((k) => k.role === "sealer");
  if (!sealer) throw new Error("keys/trust.json names no sealer key");
  return formatTrustRoot({
    log: node.consortium.log,
    sealers: [
      formatVerifierKey(
        node.consortium.log,
        NOTE_SIGNATURE_TYPE_ED25519,
        ed25519RawPublicKey(fromBase64(sealer.spki)),
      ),
    ],
    witnesses: node.witnesses.map((w) => w.vkey),
    quorum: witnessQuorumOf(node.consortium),
  });
}

export async function trustRootOf(node: LocalConsortium) {
  return parseTrustRoot(await trustRootText(node));
}
