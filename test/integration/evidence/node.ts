import { execFile } from "node:child_process";
import { sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import {
  deriveKeyId,
  formatVerifierKey,
  fromBase64,
  KEY_ADD_TYPE,
  keyPopMessage,
  noteKeyOf,
  type SignatureAlgorithm,
  SUITE_SIGNATURE_ALGORITHMS,
  toBase64,
} from "#chain";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { keyGovernanceOf, suiteOf, witnessQuorumOf } from "../../../lib/consortium/consortium.js";
import { generateKeyPair } from "../../../lib/crypto/key-pairs.js";
import { keySignatureCheckOf } from "../../../lib/crypto/verify.js";
import { type EvidenceChecks, formatTrustRoot, parseTrustRoot } from "../../../lib/evidence/index.js";
import { keyFile, trustFile } from "../../../lib/local-home.js";
import { sm2PrivateKeyFromPkcs8, sm2Sign } from "../../../lib/sm2/index.js";
import type { LocalConsortium } from "../../../local/consortium-node.js";
import { ROOT } from "../../support/cli.js";
import { TEST_SUITE, type TestNode, testSuite } from "../../support/local-node.js";

// What the evidence tests share: a member's key record of its own first key, the trust
// root of a local consortium built from its parts (the CLI's `zhixin trust export` is
// tested against it), and node:crypto's signature checks as lib/evidence takes them.

/** lib/evidence's signature checks, by node:crypto (lib/crypto/verify.ts). */
export const CHECKS: EvidenceChecks = {
  verifySignature: keySignatureCheckOf(testSuite),
};

/** A key as these tests hold it: its algorithm, SPKI and a signing function. */
export interface TestKey {
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  sign: (message: Uint8Array) => Uint8Array;
}

/** A zhixin.key.add record of a key, with its proof of possession; its key id by the test suite's H. */
export function keyAddRecord(
  owner: string,
  key: TestKey,
  role: "department" | "auditor" = "department",
): { type: string; data: Record<string, unknown> } {
  const keyId = deriveKeyId(testSuite, owner, key.spki);
  return {
    type: KEY_ADD_TYPE,
    data: {
      alg: key.alg,
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
  const signer = await readOwnerSignerFile(testSuite, keyFile(home, member), member);
  const spki = await signer.publicKey();
  const keyId = signer.keyId;
  const pop = await signer.sign(keyPopMessage(keyId));
  return keyAddRecord(member, { alg: signer.alg, spki, sign: () => pop });
}

/** A fresh key of the test suite's default algorithm (Ed25519, or SM2 under gm). */
export function freshKey(): TestKey {
  const alg = SUITE_SIGNATURE_ALGORITHMS[TEST_SUITE][0] as SignatureAlgorithm;
  const { privateKey, publicKey } = generateKeyPair(alg);
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  if (alg === "sm2-sm3") {
    const d = sm2PrivateKeyFromPkcs8(new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })));
    return { alg, spki, sign: (message) => sm2Sign(d, message, { id: testSuite.sm2Id }) };
  }
  return { alg, spki, sign: (message) => new Uint8Array(sign(null, message, privateKey)) };
}

/** The trust root of a running local consortium, from its parts (docs/formats/trust-root.md §4). */
export async function trustRootText(node: LocalConsortium): Promise<string> {
  const bundle = JSON.parse(await readFile(trustFile(node.home), "utf8")) as {
    keys: Array<{ role: string; spki: string }>;
  };
  const sealer = bundle.keys.find((k) => k.role === "sealer");
  if (!sealer) throw new Error("keys/trust.json names no sealer key");
  const noteKey = noteKeyOf(node.consortium.sealer.alg, fromBase64(sealer.spki));
  return formatTrustRoot({
    suite: suiteOf(node.consortium),
    log: node.consortium.log,
    sealers: [formatVerifierKey(node.consortium.log, noteKey.type, noteKey.publicKey)],
    witnesses: node.witnesses.map((w) => w.vkey),
    quorum: witnessQuorumOf(node.consortium),
    keyGovernance: keyGovernanceOf(node.consortium),
  });
}

export async function trustRootOf(node: LocalConsortium) {
  return parseTrustRoot(await trustRootText(node));
}

/** A `zhixin` run's exit status and output. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A loopback port nothing listens on once it is returned (for a ledger that is not there). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * `zhixin` as separate processes in the test's scratch folder, with only PATH from this
 * environment: `member` against the running ledger, as a member of the consortium runs
 * it; `offline` runs `zhixin verify` as a court's or auditor's process does — no ledger
 * (ZHIXIN_URL aimed at `closedUrl`), no home, no consortium file, only the files it was
 * given. `get` is read at each run, as the tests set these up in beforeAll.
 */
export function evidenceCli(get: () => { work: string; t: TestNode; closedUrl: string }) {
  const zhixin = (args: string[], env: Record<string, string>): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, "bin", "zhixin.js"), ...args],
        {
          cwd: get().work,
          env: {
            PATH: process.env.PATH ?? "",
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
            ...env,
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  return {
    member: (args: string[]) =>
      zhixin(args, {
        ZHIXIN_URL: get().t.url,
        ZHIXIN_HOME: get().t.node.home,
        ZHIXIN_CONSORTIUM: resolve(ROOT, get().t.consortiumFile),
      }),
    offline: (args: string[]) =>
      zhixin(["verify", ...args], {
        ZHIXIN_URL: get().closedUrl,
        ZHIXIN_HOME: join(get().work, "no-home"),
        ZHIXIN_CONSORTIUM: join(get().work, "no-consortium.json"),
      }),
  };
}
