import { sha256 } from "@noble/hashes/sha2.js";
import {
  type CryptoSuite,
  type KeySignatureCheck,
  type SignatureAlgorithm,
  SM2_DEFAULT_ID,
  toHex,
} from "#chain";
import { Sm2Error, sm2PublicKeyFromSpki, sm2Verify } from "../../lib/sm2/index.js";

/**
 * Signature checks in the browser, by WebCrypto, for lib/'s synchronous verifiers
 * (lib/evidence's bundle verifier, lib/witness's quorum, checkpoints). Those take the checks
 * as plain functions returning booleans, and WebCrypto answers in promises; so a verifier
 * is run, the signatures it asks about are recorded, checked by WebCrypto, and it is run
 * again with their answers, until a run asks about nothing unanswered. Only that last run's
 * result counts: in it every check it made was answered by WebCrypto. A verifier that stops
 * at a first failure asks at most one unanswered question more per run, so this ends.
 * WebCrypto has no SM2: a gm ledger's signatures are checked by lib/sm2, in JavaScript,
 * with the ledger suite's identifier (docs/formats/sm2.md §2).
 */

/** The one check lib/ takes for every signature, a key held as the ledger records it. */
export interface SignatureChecks {
  verifySignature: KeySignatureCheck;
}

interface Ask {
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

function askKey(a: Ask): string {
  return [a.alg, toHex(a.spki), toHex(a.signature), toHex(sha256(a.message))].join("|");
}

/**
 * Runs `verify` with signature checks that WebCrypto (and lib/sm2) answered (above), for a
 * ledger of `suite`: the trust root's.
 */
export async function withWebCrypto<T>(
  verify: (checks: SignatureChecks) => T,
  suite: Pick<CryptoSuite, "sm2Id">,
): Promise<T> {
  const sm2Id = suite.sm2Id ?? SM2_DEFAULT_ID;
  const answers = new Map<string, boolean>();
  for (;;) {
    const pending = new Map<string, Ask>();
    const answer = (a: Ask): boolean => {
      const k = askKey(a);
      const known = answers.get(k);
      if (known !== undefined) return known;
      pending.set(k, { ...a, message: a.message.slice(), signature: a.signature.slice() });
      return true; // a dry guess; this run's outcome is discarded while anything is pending
    };
    const checks: SignatureChecks = {
      verifySignature: (alg, spki, message, signature) =>
        answer({ alg, spki: spki.slice(), message, signature }),
    };
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: verify(checks) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (pending.size === 0) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    await Promise.all([...pending].map(async ([k, a]) => answers.set(k, await checkWithWebCrypto(a, sm2Id))));
  }
}

const ED25519 = { name: "Ed25519" };
const P256 = { name: "ECDSA", namedCurve: "P-256" };

/** One signature by WebCrypto: false for any key or signature it cannot read, never a throw. */
async function checkWithWebCrypto(a: Ask, sm2Id: string): Promise<boolean> {
  try {
    if (a.signature.length !== 64) return false;
    if (a.alg === "sm2-sm3") return sm2Holds(a.spki, a.message, a.signature, sm2Id);
    const algorithm = a.alg === "ed25519" ? ED25519 : P256;
    const key = await crypto.subtle.importKey("spki", a.spki as Uint8Array<ArrayBuffer>, algorithm, false, [
      "verify",
    ]);
    const params = a.alg === "ed25519" ? ED25519 : { name: "ECDSA", hash: "SHA-256" };
    return await crypto.subtle.verify(
      params,
      key,
      a.signature as Uint8Array<ArrayBuffer>,
      a.message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

/** An SM2 signature with identifier `sm2Id` (docs/formats/sm2.md §2), by lib/sm2. */
function sm2Holds(spki: Uint8Array, message: Uint8Array, signature: Uint8Array, sm2Id: string): boolean {
  try {
    return sm2Verify(sm2PublicKeyFromSpki(spki), message, signature, sm2Id);
  } catch (e) {
    if (e instanceof Sm2Error) return false; // not an SM2 key's SPKI
    throw e;
  }
}
