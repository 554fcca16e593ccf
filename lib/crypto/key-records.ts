import { KEY_ADD_TYPE, type KeyRole, keyPopMessage, toBase64 } from "#chain";
import type { Signer } from "./signer.js";

/**
 * The `zhixin.key.add` record of a key held by `signer` (docs/FORMATS.md §10): its
 * derived id, SPKI and proof of possession, which only the holder of the key can make.
 * npm start's genesis, `zhixin keys` and the tests write adds with it. The request that
 * carries it is signed by the key itself (a member's first key) or by a current key of
 * the same owner (a rotation).
 */
export async function keyAddRecord(
  signer: Signer,
  owner: string,
  role: KeyRole = "department",
): Promise<{ type: typeof KEY_ADD_TYPE; data: Record<string, string> }> {
  return {
    type: KEY_ADD_TYPE,
    data: {
      alg: signer.alg,
      keyId: signer.keyId,
      owner,
      pop: toBase64(await signer.sign(keyPopMessage(signer.keyId))),
      role,
      spki: toBase64(await signer.publicKey()),
    },
  };
}
