import { HashMD } from "@noble/hashes/_md.js";
import { clean, createHasher } from "@noble/hashes/utils.js";
import { digestOfState, nodeFirstBlock, nodeSecondBlock } from "./node-block.js";

/**
 * SM3 (GB/T 32905-2016, GM/T 0004-2012): the gm suite's hash (suite.ts). `sm3` is a
 * @noble/hashes hash — callable, streaming through create(), and usable with its `hmac` —
 * built on noble's Merkle–Damgård frame (HashMD: the same 64-byte blocks and big-endian
 * length padding as SHA-256, §5.2), with the compression function here (§5.3).
 * `sm3Node` is SM3 of RFC 6962's fixed 65-byte node input, specialised as sha256-node.ts
 * is for SHA-256. Test-pinned to the standard's examples and to OpenSSL's SM3
 * (node:crypto "sm3" and `openssl dgst -sm3`); `npm run bench -- merkle` measures both.
 */

// §4.1 initial value.
const IV = Int32Array.from([
  0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
]);
// §4.2 constants T_j, already rotated left by j mod 32 as the compression uses them (§5.3.3).
const T = new Int32Array(64);
for (let j = 0; j < 64; j++) {
  const t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
  const r = j % 32;
  T[j] = r === 0 ? t : (t << r) | (t >>> (32 - r));
}

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** §5.3.2 message expansion of the 16 words in w[0..16) into w[0..68) (W) and w'[0..64) (W'). */
function expand(w: Int32Array, w1: Int32Array, wOffset: number, w1Offset: number): void {
  for (let j = 16; j < 68; j++) {
    const x =
      (w[wOffset + j - 16] as number) ^
      (w[wOffset + j - 9] as number) ^
      rotl(w[wOffset + j - 3] as number, 15);
    w[wOffset + j] =
      x ^ rotl(x, 15) ^ rotl(x, 23) ^ rotl(w[wOffset + j - 13] as number, 7) ^ (w[wOffset + j - 6] as number);
  }
  for (let j = 0; j < 64; j++) w1[w1Offset + j] = (w[wOffset + j] as number) ^ (w[wOffset + j + 4] as number);
}

/** §5.3.3 compression CF(V, B) of an expanded block into v (8 words), in place. */
function compress(v: Int32Array, w: Int32Array, w1: Int32Array, wOffset: number, w1Offset: number): void {
  let a = v[0] as number;
  let b = v[1] as number;
  let c = v[2] as number;
  let d = v[3] as number;
  let e = v[4] as number;
  let f = v[5] as number;
  let g = v[6] as number;
  let h = v[7] as number;
  for (let j = 0; j < 64; j++) {
    const a12 = rotl(a, 12);
    const ss1 = rotl((a12 + e + (T[j] as number)) | 0, 7);
    const ss2 = ss1 ^ a12;
    const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
    const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
    const tt1 = (ff + d + ss2 + (w1[w1Offset + j] as number)) | 0;
    const tt2 = (gg + h + ss1 + (w[wOffset + j] as number)) | 0;
    d = c;
    c = rotl(b, 9);
    b = a;
    a = tt1;
    h = g;
    g = rotl(f, 19);
    f = e;
    e = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
  }
  v[0] = (v[0] as number) ^ a;
  v[1] = (v[1] as number) ^ b;
  v[2] = (v[2] as number) ^ c;
  v[3] = (v[3] as number) ^ d;
  v[4] = (v[4] as number) ^ e;
  v[5] = (v[5] as number) ^ f;
  v[6] = (v[6] as number) ^ g;
  v[7] = (v[7] as number) ^ h;
}

const W = new Int32Array(68);
const W1 = new Int32Array(64);

class SM3 extends HashMD<SM3> {
  private readonly v = Int32Array.from(IV);

  constructor() {
    super(64, 32, 8, false);
  }

  protected get(): number[] {
    return Array.from(this.v);
  }

  protected set(...words: number[]): void {
    for (let i = 0; i < 8; i++) this.v[i] = (words[i] as number) | 0;
  }

  protected process(view: DataView, offset: number): void {
    for (let i = 0; i < 16; i++, offset += 4) W[i] = view.getUint32(offset, false);
    expand(W, W1, 0, 0);
    compress(this.v, W, W1, 0, 0);
  }

  protected roundClean(): void {
    clean(W, W1);
  }

  destroy(): void {
    this.destroyed = true;
    this.v.fill(0);
    clean(this.buffer);
  }

  _cloneInto(to?: SM3): SM3 {
    const copy = to ?? new SM3();
    copy.set(...this.get());
    return this._cloneIntoMeta(copy);
  }
}

/** SM3 of `data` (32 bytes); `sm3.create()` streams, and @noble/hashes' hmac takes it. */
export const sm3 = createHasher(() => new SM3());

// sm3Node: the second block of 0x01 || left || right hangs on right[31] alone (node-block.ts),
// so its expansion is precomputed for all 256 values.
const TAIL_W = new Int32Array(256 * 68);
const TAIL_W1 = new Int32Array(256 * 64);
for (let x = 0; x < 256; x++) {
  nodeSecondBlock(TAIL_W, x * 68, x);
  expand(TAIL_W, TAIL_W1, x * 68, x * 64);
}
const NODE_V = new Int32Array(8);

/** SM3(0x01 || left || right): RFC 6962's node hash under gm. Precondition: left and right are 32 bytes. */
export function sm3Node(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeFirstBlock(W, left, right);
  expand(W, W1, 0, 0);
  NODE_V.set(IV);
  compress(NODE_V, W, W1, 0, 0);
  const tail = right[31] as number;
  compress(NODE_V, TAIL_W, TAIL_W1, tail * 68, tail * 64);
  return digestOfState(NODE_V);
}
