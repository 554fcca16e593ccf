import {
  type WeierstrassPoint,
  type WeierstrassPointCons,
  weierstrass,
} from "@noble/curves/abstract/weierstrass.js";

/**
 * An elliptic curve y² = x³ + ax + b over F_p with a base point G = (Gx, Gy) of prime order
 * n and cofactor h, as GB/T 32918.1 states curve parameters. Data, so that the scheme runs
 * on the recommended curve and, for the standard's worked examples, on its example curve.
 */
export interface Sm2CurveParams {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly h: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** The SM2 recommended 256-bit curve (GB/T 32918.5-2017; OID 1.2.156.10197.1.301). */
export const SM2_CURVE: Sm2CurveParams = Object.freeze({
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
});

export type Sm2Point = WeierstrassPoint<bigint>;
export type Sm2PointCons = WeierstrassPointCons<bigint>;

/**
 * The point type of `params`: @noble/curves's constant-time projective arithmetic. G gets a
 * fixed-base table (window BASE_WINDOW) since every signature multiplies it by a secret k.
 */
export function curvePoints(params: Sm2CurveParams): Sm2PointCons {
  const Point = weierstrass({ ...params });
  Point.BASE.precompute(BASE_WINDOW); // built on first use, not at import
  return Point;
}

/** Window of G's precomputed table: 2^(w-1)·⌈256/w⌉ points; 8 gives 4096 points (~1 MB). */
const BASE_WINDOW = 8;
