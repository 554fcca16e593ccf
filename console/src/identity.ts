import { deriveKeyId, fromBase64, type SignatureAlgorithm, SM2_DEFAULT_ID, suiteOfAlgorithm } from "#chain";
import type { Signer } from "../../lib/crypto/signer.js";
import { sm2PrivateKeyFromPkcs8, sm2PublicKey, sm2PublicKeyToSpki, sm2Sign } from "../../lib/sm2/index.js";

/**
 * Who the console acts as, and the key it signs requests with: in the browser, through
 * WebCrypto (SM2, which WebCrypto lacks, through lib/sm2), never sent anywhere. Locally the demo members' key files are offered by the
 * node (local/console.ts, GET /local/identities); on AWS a member signs with its KMS key
 * (docs/CONSOLE.md "Sign-in on AWS").
 */

export interface Identity {
  id: string;
  name: string;
  role: "department" | "auditor";
  signer: Signer;
}

interface LocalIdentityJson {
  id: string;
  name: string;
  role: "department" | "auditor";
  alg: SignatureAlgorithm;
  keyId: string;
  pkcs8: string;
}

export interface LocalIdentities {
  consortium: string;
  log: string;
  members: Identity[];
}

/** The demo members of a local node, each with a WebCrypto signer over its key file. */
export async function loadLocalIdentities(base = ""): Promise<LocalIdentities> {
  const res = await fetch(`${base}/local/identities`, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`GET /local/identities: ${res.status}`);
  const json = (await res.json()) as {
    consortium: string;
    log: string;
    sm2Id?: string;
    members: LocalIdentityJson[];
  };
  const members = await Promise.all(
    json.members.map(async (m) => ({
      id: m.id,
      name: m.name,
      role: m.role,
      signer: await webCryptoSigner(m.id, m.alg, fromBase64(m.pkcs8), json.sm2Id),
    })),
  );
  return { consortium: json.consortium, log: json.log, members };
}

// WebCrypto has no SM2: an SM2 key signs with lib/sm2 (sm2Signer below).
const ALGORITHMS: Record<
  Exclude<SignatureAlgorithm, "sm2-sm3">,
  { key: EcKeyImportParams | Algorithm; sign: Algorithm | EcdsaParams }
> = {
  ed25519: { key: { name: "Ed25519" }, sign: { name: "Ed25519" } },
  "ecdsa-p256-sha256": {
    key: { name: "ECDSA", namedCurve: "P-256" } as EcKeyImportParams,
    sign: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
  },
};

/**
 * A Signer (lib/crypto/signer.ts) over a PKCS#8 key in WebCrypto. WebCrypto's ECDSA
 * signature is already r||s (IEEE P1363), as RFC 9421 §3.3.4 and the ledger want. The key
 * id is derived from the public key with its suite's hash, as every signer's is
 * (docs/design/key-history.md §1).
 */
export async function webCryptoSigner(
  owner: string,
  alg: SignatureAlgorithm,
  pkcs8: Uint8Array,
  sm2Id: string = SM2_DEFAULT_ID,
): Promise<Signer> {
  if (alg === "sm2-sm3") return sm2Signer(owner, pkcs8, sm2Id);
  const a = ALGORITHMS[alg];
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8 as Uint8Array<ArrayBuffer>, a.key, true, [
    "sign",
  ]);
  const spki = await spkiOf(privateKey, alg);
  return {
    keyId: deriveKeyId(suiteOfAlgorithm(alg), owner, spki),
    alg,
    sign: async (message) =>
      new Uint8Array(await crypto.subtle.sign(a.sign, privateKey, message as Uint8Array<ArrayBuffer>)),
    publicKey: async () => spki.slice(),
  };
}

/**
 * An SM2 key file's signer, by lib/sm2 (docs/formats/sm2.md): r||s with SM3 and the
 * consortium's identifier (§2), its nonce derived from the key and message (RFC 6979), as the CLI signs; the
 * key id by SM3, the gm suite's H. The scalar stays in this page's memory, as a WebCrypto
 * key would be, and like the local key files it comes from, it is a demo's.
 */
function sm2Signer(owner: string, pkcs8: Uint8Array, sm2Id: string): Signer {
  const d = sm2PrivateKeyFromPkcs8(pkcs8);
  const spki = sm2PublicKeyToSpki(sm2PublicKey(d));
  return {
    keyId: deriveKeyId(suiteOfAlgorithm("sm2-sm3"), owner, spki),
    alg: "sm2-sm3",
    sign: async (message) => sm2Sign(d, message, { id: sm2Id }),
    publicKey: async () => spki.slice(),
  };
}

/** WebCrypto exports no public key from a private one; its JWK holds the public part. */
async function spkiOf(
  privateKey: CryptoKey,
  alg: Exclude<SignatureAlgorithm, "sm2-sm3">,
): Promise<Uint8Array> {
  const { d: _d, key_ops: _ops, ...publicJwk } = await crypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await crypto.subtle.importKey("jwk", publicJwk, ALGORITHMS[alg].key, true, ["verify"]);
  return new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
}
