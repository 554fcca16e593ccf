import { createHmacDrbg } from "@noble/curves/utils.js";
import { hmac } from "@noble/hashes/hmac.js";
import { concatBytes, SM2_DEFAULT_ID, sm3, utf8 } from "#chain";
import { curvePoints, type Sm2CurveParams, type Sm2Point } from "./curve.js";
import { Sm2Error } from "./errors.js";

/**
 * The SM2 digital signature (GB/T 32918.2-2016, identical to GM/T 0003.2-2012) with SM3
 * (GB/T 32905-2016) as its hash. Keys and signatures are bytes:
 *
 *   private key  d as 32 bytes big-endian, 1 ≤ d ≤ n-2 (1 + d must be invertible mod n)
 *   public key   04 || x || y, the 65-byte uncompressed point (GB/T 32918.1 §4.2.9 form)
 *   signature    r || s, 32 bytes each big-endian (as ECDSA's in RFC 9421 §3.3.4)
 *
 * Each signature binds the signer's distinguishing identifier ID_A through Z_A (§5.5);
 * without one, ID_A is SM2_DEFAULT_ID, the value GM/T 0009-2012 fixes and KMS, OpenSSL
 * (-pkeyopt distid:1234567812345678) and GmSSL use.
 */

/** GM/T 0009-2012's default distinguishing identifier, defined once in lib/chain (suite.ts). */
export { SM2_DEFAULT_ID };

/** A distinguishing identifier: a string (its UTF-8 bytes) or the bytes themselves. */
export type Sm2Id = string | Uint8Array;

export interface Sm2SignOptions {
  /** ID_A; SM2_DEFAULT_ID if absent. */
  id?: Sm2Id;
  /**
   * Extra input to the nonce (RFC 6979 §3.6's k'): with fresh random bytes here a signature
   * stays safe when either the randomness or the deterministic derivation fails. lib/sm2
   * draws none itself; lib/crypto's signers pass 32 bytes from node:crypto.
   */
  random?: Uint8Array;
  /** A fixed k, for the standard's known-answer tests only. */
  k?: bigint;
}

/** Checks signatures by one public key and identifier: the point decoded and Z_A hashed once. */
export type Sm2Verifier = (message: Uint8Array, signature: Uint8Array) => boolean;
/** Signs with one private key and identifier: d checked, d·G and Z_A computed once. */
export type Sm2Signer = (message: Uint8Array, options?: Omit<Sm2SignOptions, "id">) => Uint8Array;

/** SM2 over one curve. `sm2` below is the recommended curve's; tests build the example curve's. */
export interface Sm2Scheme {
  readonly curve: Sm2CurveParams;
  /** Bytes of a field element, of a scalar, and of r||s. */
  readonly sizes: { field: number; scalar: number; signature: number; publicKey: number };
  /** Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A) (§5.5). */
  z(publicKey: Uint8Array, id?: Sm2Id): Uint8Array;
  /** d·G as 04 || x || y. Sm2Error INVALID_KEY unless 1 ≤ d ≤ n-2. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  sign(privateKey: Uint8Array, message: Uint8Array, options?: Sm2SignOptions): Uint8Array;
  /**
   * r || s over a digest e = SM3(Z_A || M) the caller computed (§6.1 from A3): what a key
   * store such as KMS does with MessageType DIGEST, where the identifier is the caller's.
   * Sm2Error INVALID_DIGEST unless `digest` is 32 bytes.
   */
  signDigest(privateKey: Uint8Array, digest: Uint8Array, options?: Omit<Sm2SignOptions, "id">): Uint8Array;
  signer(privateKey: Uint8Array, id?: Sm2Id): Sm2Signer;
  /** False, never an exception, for any bytes that are not a valid signature by a valid key. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, id?: Sm2Id): boolean;
  /** Sm2Error INVALID_KEY if `publicKey` is not a point of the curve's group. */
  verifier(publicKey: Uint8Array, id?: Sm2Id): Sm2Verifier;
}

/**
 * A prepared verifier's key gets a precomputed table (window KEY_WINDOW) at its
 * PRECOMPUTE_AFTER-th check: the table costs about as much as 15 checks and makes each
 * later one 3x faster, so a key that signs often (the sealer's, a busy member's) pays it
 * back quickly and a key checked once never builds it.
 */
const PRECOMPUTE_AFTER = 16;
const KEY_WINDOW = 6;
/** SM3 digests are 32 bytes. */
const SM3_SIZE = 32;
/** ENTL_A is two bytes of ID_A's length in bits (§5.5), so ID_A has at most 8191 bytes. */
const MAX_ID_BYTES = 0xffff >> 3;

export function sm2Scheme(curve: Sm2CurveParams): Sm2Scheme {
  const Point = curvePoints(curve);
  const { Fp, Fn } = Point;
  const G = Point.BASE;
  const n = curve.n;
  const sizes = {
    field: Fp.BYTES,
    scalar: Fn.BYTES,
    signature: 2 * Fn.BYTES,
    publicKey: 1 + 2 * Fp.BYTES,
  };
  // a || b || x_G || y_G: the part of Z_A every key shares.
  const curveBytes = concatBytes(
    Fp.toBytes(curve.a),
    Fp.toBytes(curve.b),
    Fp.toBytes(curve.Gx),
    Fp.toBytes(curve.Gy),
  );
  const hmacSm3 = (key: Uint8Array, message: Uint8Array) => hmac(sm3, key, message);

  function decodePoint(publicKey: Uint8Array): Sm2Point {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== sizes.publicKey || publicKey[0] !== 0x04) {
      throw new Sm2Error("INVALID_KEY", `an SM2 public key is 04 || x || y, ${sizes.publicKey} bytes`);
    }
    let point: Sm2Point;
    try {
      point = Point.fromBytes(publicKey);
      // On the curve, not the point at infinity, in the order-n group (h = 1: all of them).
      point.assertValidity();
    } catch {
      throw new Sm2Error("INVALID_KEY", "the SM2 public key is not a point of the curve");
    }
    return point;
  }

  function decodeScalar(privateKey: Uint8Array): bigint {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== sizes.scalar) {
      throw new Sm2Error("INVALID_KEY", `an SM2 private key is ${sizes.scalar} bytes`);
    }
    const d = bytesToNumber(privateKey);
    if (d < 1n || d > n - 2n) throw new Sm2Error("INVALID_KEY", "an SM2 private key d must be in [1, n-2]");
    return d;
  }

  function idBytes(id: Sm2Id = SM2_DEFAULT_ID): Uint8Array {
    const bytes = typeof id === "string" ? utf8(id) : id;
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_ID_BYTES) {
      throw new Sm2Error("INVALID_ID", `a distinguishing identifier has at most ${MAX_ID_BYTES} bytes`);
    }
    return bytes;
  }

  function zOf(point: Sm2Point, id: Sm2Id | undefined): Uint8Array {
    const bytes = idBytes(id);
    const bits = bytes.length * 8;
    const { x, y } = point.toAffine();
    return sm3(
      concatBytes(Uint8Array.of(bits >> 8, bits & 0xff), bytes, curveBytes, Fp.toBytes(x), Fp.toBytes(y)),
    );
  }

  /** SM3(Z_A || M), whose integer value is e (§6.1 A1-A2, §7.1 B3-B4). */
  const sm3Bytes = (z: Uint8Array, message: Uint8Array): Uint8Array => sm3(concatBytes(z, message));
  /** RFC 6979 §2.3.2 bits2int: the leftmost qlen bits of a bit string, as an integer. */
  const qlen = n.toString(2).length;
  const bits2int = (bytes: Uint8Array): bigint => {
    const excess = bytes.length * 8 - qlen;
    const v = bytesToNumber(bytes);
    return excess > 0 ? v >> BigInt(excess) : v;
  };

  /** §6.1 A3-A7 for the key `privateKey`: a signature over the 32-byte digest h = SM3(Z_A || M). */
  function digestSignerOf(privateKey: Uint8Array): {
    point: Sm2Point;
    signDigest: (h: Uint8Array, options?: Omit<Sm2SignOptions, "id">) => Uint8Array;
  } {
    const d = decodeScalar(privateKey);
    const inverse = Fn.inv(1n + d); // (1 + d)^-1 mod n, for A6
    const x = Fn.toBytes(d);

    /** §6.1 A4-A6 for one k: the signature, or undefined when A5 or A6 sends us back to A3. */
    function withNonce(e: bigint, k: bigint): Uint8Array | undefined {
      const x1 = G.multiply(k).toAffine().x;
      const r = Fn.create(e + x1);
      if (r === 0n || r + k === n) return undefined;
      const s = Fn.mul(inverse, Fn.sub(k, Fn.mul(r, d)));
      if (s === 0n) return undefined;
      return concatBytes(Fn.toBytes(r), Fn.toBytes(s));
    }

    const signDigest = (h: Uint8Array, options: Omit<Sm2SignOptions, "id"> = {}): Uint8Array => {
      if (!(h instanceof Uint8Array) || h.length !== SM3_SIZE)
        throw new Sm2Error("INVALID_DIGEST", `an SM2 digest e is ${SM3_SIZE} bytes`);
      const e = bytesToNumber(h);
      if (options.k !== undefined) {
        const k = options.k;
        const signature = k >= 1n && k < n ? withNonce(e, k) : undefined;
        if (signature === undefined)
          throw new Sm2Error(
            "INVALID_NONCE",
            "the given k is not in [1, n-1] or makes r = 0, r + k = n or s = 0",
          );
        return signature;
      }
      // A3 by RFC 6979 §3.2 with HMAC-SM3: K, V seeded with int2octets(d) || bits2octets(e)
      // (e mod n, as step d reduces H(m)) || k'; each candidate T is taken as k if 1 ≤ k < n,
      // and a k that A5 or A6 rejects draws the next candidate as step h.3 says.
      const extra = options.random ?? new Uint8Array(0);
      if (!(extra instanceof Uint8Array)) throw new TypeError("random must be bytes");
      const seed = concatBytes(x, Fn.toBytes(Fn.create(bits2int(h))), extra);
      const drbg = createHmacDrbg<Uint8Array>(SM3_SIZE, sizes.scalar, hmacSm3);
      return drbg(seed, (bytes) => {
        const k = bits2int(bytes);
        return k >= 1n && k < n ? withNonce(e, k) : undefined;
      });
    };
    return { point: G.multiply(d), signDigest };
  }

  function signerOf(privateKey: Uint8Array, id: Sm2Id | undefined): Sm2Signer {
    const { point, signDigest } = digestSignerOf(privateKey);
    const z = zOf(point, id);
    return (message, options = {}) => {
      if (!(message instanceof Uint8Array)) throw new TypeError("the message must be bytes");
      return signDigest(sm3Bytes(z, message), options);
    };
  }

  function verifierOf(publicKey: Uint8Array, id: Sm2Id | undefined): Sm2Verifier {
    const point = decodePoint(publicKey);
    const z = zOf(point, id);
    let checks = 0;
    return (message, signature) => {
      // §7.1 B1-B2: r', s' in [1, n-1]; B5: t = (r' + s') mod n ≠ 0.
      if (!(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
      if (signature.length !== sizes.signature) return false;
      const r = bytesToNumber(signature.subarray(0, sizes.scalar));
      const s = bytesToNumber(signature.subarray(sizes.scalar));
      if (r < 1n || r >= n || s < 1n || s >= n) return false;
      const t = Fn.add(r, s);
      if (t === 0n) return false;
      // B6: (x1', y1') = [s']G + [t]P_A. Public scalars, so not constant-time: one
      // Strauss-Shamir pass, until a key has checked PRECOMPUTE_AFTER signatures; then P_A
      // gets its own table and both products use one (3x faster, ~300 KB per key).
      checks++;
      if (checks === PRECOMPUTE_AFTER) point.precompute(KEY_WINDOW, false);
      const sum =
        checks < PRECOMPUTE_AFTER
          ? G.mulAddUnsafe(s, point, t)
          : G.multiplyUnsafe(s).add(point.multiplyUnsafe(t));
      if (sum.is0()) return false;
      // B7: R = (e' + x1') mod n must equal r'.
      return Fn.create(bytesToNumber(sm3Bytes(z, message)) + sum.toAffine().x) === r;
    };
  }

  return {
    curve,
    sizes,
    z: (publicKey, id) => zOf(decodePoint(publicKey), id),
    publicKey: (privateKey) => G.multiply(decodeScalar(privateKey)).toBytes(false),
    sign: (privateKey, message, options = {}) => signerOf(privateKey, options.id)(message, options),
    signDigest: (privateKey, digest, options) => digestSignerOf(privateKey).signDigest(digest, options),
    signer: signerOf,
    verify(publicKey, message, signature, id) {
      let check: Sm2Verifier;
      try {
        check = verifierOf(publicKey, id);
      } catch {
        return false;
      }
      return check(message, signature);
    },
    verifier: verifierOf,
  };
}

function bytesToNumber(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}
