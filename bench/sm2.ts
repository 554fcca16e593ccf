import { generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import {
  sm2PrivateKeyFromPkcs8,
  sm2PublicKey,
  sm2Sign,
  sm2Signer,
  sm2Verifier,
  sm2Verify,
} from "../lib/sm2/index.js";
import {
  type BenchModule,
  measure,
  packageVersion,
  printTable,
  QUICK,
  type Row,
  seededBytes,
} from "./harness.js";

/**
 * lib/sm2 (SM2 with SM3 over @noble/curves) signing and verifying 300-byte messages (a
 * signature base's size), one-off and prepared (key decoded and Z_A hashed once; a prepared
 * verifier's key gets its own table at its 16th check), beside node:crypto's (OpenSSL's)
 * ECDSA P-256 and Ed25519 on the same messages: the cost of the gm suite's signatures
 * against intl's. node:crypto's SM2 is not the standard's with the default identifier, so
 * it is no baseline here.
 */

const COUNT = QUICK ? 50 : 500;
const LIGHT = { warmup: 1, reps: QUICK ? 3 : 7 };

let sink = 0;
const keep = (b: Uint8Array | boolean): void => {
  sink = (sink + (typeof b === "boolean" ? Number(b) : (b[0] as number))) | 0;
};

function run(): void {
  const messages = seededBytes(0x534d32, COUNT, 300); // "SM2"
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "SM2" });
  const d = sm2PrivateKeyFromPkcs8(new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })));
  const point = sm2PublicKey(d);
  const signer = sm2Signer(d);
  const signatures = messages.map((m) => sm2Sign(d, m));
  const rows: Row[] = [];
  const add = (name: string, fn: () => void, note?: string) =>
    rows.push({ name, timing: measure(fn, LIGHT), ops: COUNT, opName: "sig", note });

  add("sm2Sign (one-off: d·G and Z_A each time)", () => {
    for (const m of messages) keep(sm2Sign(d, m, { random: randomBytes(32) }));
  });
  add("sm2Signer, hedged (as LocalSigner signs)", () => {
    for (const m of messages) keep(signer(m, { random: randomBytes(32) }));
  });
  add("sm2Verify (one-off: point and Z_A each time)", () => {
    for (let i = 0; i < COUNT; i++)
      keep(sm2Verify(point, messages[i] as Uint8Array, signatures[i] as Uint8Array));
  });
  add(
    "sm2Verifier (prepared, as verifySignature caches)",
    () => {
      const check = sm2Verifier(point);
      for (let i = 0; i < COUNT; i++) keep(check(messages[i] as Uint8Array, signatures[i] as Uint8Array));
    },
    "includes building the key's table",
  );

  const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ed = generateKeyPairSync("ed25519");
  const p256Signatures = messages.map((m) => sign("sha256", m, p256.privateKey));
  const edSignatures = messages.map((m) => sign(null, m, ed.privateKey));
  add("baseline: node:crypto ECDSA P-256 sign", () => {
    for (const m of messages) keep(sign("sha256", m, p256.privateKey));
  });
  add("baseline: node:crypto ECDSA P-256 verify", () => {
    for (let i = 0; i < COUNT; i++)
      keep(verify("sha256", messages[i] as Uint8Array, p256.publicKey, p256Signatures[i] as Uint8Array));
  });
  add("baseline: node:crypto Ed25519 verify", () => {
    for (let i = 0; i < COUNT; i++)
      keep(verify(null, messages[i] as Uint8Array, ed.publicKey, edSignatures[i] as Uint8Array));
  });
  printTable(rows);
  console.log(
    `\n@noble/curves ${packageVersion("@noble/curves")}; ${COUNT} messages of 300 B (sink ${sink & 1})`,
  );
}

export const bench: BenchModule = {
  name: "sm2",
  description: "lib/sm2 sign and verify (one-off and prepared) beside node:crypto's P-256 and Ed25519",
  run,
};
