import { generateKeyPairSync } from "node:crypto";
import type { SignatureAlgorithm } from "#chain";
import type { KeyDirectory, KeyRole, PublicKeyRecord } from "../../../../lib/crypto/key-directory.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import type { Signer } from "../../../../lib/crypto/signer.js";

export class MemoryKeyDirectory implements KeyDirectory {
  readonly #keys = new Map<string, PublicKeyRecord>();

  constructor(records: readonly PublicKeyRecord[]) {
    for (const r of records) this.#keys.set(r.keyId, r);
  }

  getKey(keyId: string): PublicKeyRecord | undefined {
    return this.#keys.get(keyId);
  }

  listKeys(): PublicKeyRecord[] {
    return [...this.#keys.values()];
  }
}

export interface TestKey {
  signer: LocalSigner;
  record: PublicKeyRecord;
}

export async function makeKey(
  keyId: string,
  alg: SignatureAlgorithm,
  owner: string,
  extra: Partial<PublicKeyRecord> & { role?: KeyRole } = {},
): Promise<TestKey> {
  const { privateKey } =
    alg === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = new LocalSigner(keyId, privateKey);
  const record: PublicKeyRecord = {
    keyId,
    owner,
    role: "department",
    alg,
    spki: await signer.publicKey(),
    validFrom: "2025-01-01T00:00:00.000Z",
    ...extra,
  };
  return { signer, record };
}

/** A Signer that records every message it signs. */
export function recording(signer: Signer): Signer & { messages: Uint8Array[] } {
  const messages: Uint8Array[] = [];
  return {
    keyId: signer.keyId,
    alg: signer.alg,
    messages,
    publicKey: () => signer.publicKey(),
    sign: (message) => {
      messages.push(message.slice());
      return signer.sign(message);
    },
  };
}
