import { expect } from "vitest";
import { type SignatureAlgorithm, SUITE_SIGNATURE_ALGORITHMS } from "../../../lib/chain/index.js";
import { generateKeyPair } from "../../../lib/crypto/key-pairs.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import type { TestNode } from "../../support/local-node.js";
import { captured } from "../../support/output.js";
import { TEST_SUITE, testSuite } from "../../support/test-suite.js";
// What the key-history integration tests do to a test node (rotation.test.ts,
// governance.test.ts): make keys, submit as a department with a key of their choosing,
// and run the verify function's audit, asserting that it logs exactly its findings.

/** A new key of `owner`, of the test suite's default algorithm (Ed25519, SM2), under its derived key id. */
export function newSigner(owner: string): LocalSigner {
  const alg = SUITE_SIGNATURE_ALGORITHMS[TEST_SUITE][0] as SignatureAlgorithm;
  return LocalSigner.forOwner(testSuite, owner, generateKeyPair(alg).privateKey, alg);
}

let months = 0;
/** A new housing-fund deposit certificate, which hf-haikou and hf-sanya may write. */
export function deposit(): Array<{ type: string; data: unknown }> {
  months += 1;
  return [
    {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months, status: "active" },
    },
  ];
}

/** Submits `records` (a new deposit by default) as `owner`, signed by `signer` or its key file's key. */
export async function submitAs(
  t: TestNode,
  owner: string,
  signer: LocalSigner | undefined,
  records: Array<{ type: string; data: unknown }> = deposit(),
): Promise<{ status: number; code: string | undefined; ids: string[] }> {
  const res = await t.submit(owner, records, signer ? { signer } : {});
  return {
    status: res.status,
    code: res.body?.error?.code as string | undefined,
    ids: ((res.body?.entries ?? []) as Array<{ id: string }>).map((e) => e.id),
  };
}

export interface AuditReport {
  ok: boolean;
  findings: Array<{ code: string; entryId?: string }>;
}

/** The verify function's chain audit (or one entry's); one with findings logs them, which this asserts. */
export async function audit(t: TestNode, payload: { entry?: string } = {}): Promise<AuditReport> {
  const { result, output } = await captured(async () => {
    const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: JSON.stringify(payload) });
    return (await res.json()) as AuditReport;
  });
  const warned = output.logLines().filter((l) => l.message === "audit findings");
  expect(warned.map((l) => l.findings)).toEqual(result.ok ? [] : [result.findings.length]);
  return result;
}

/** Lets the clock move on, so that two records are not received in the same millisecond. */
export const tick = (): Promise<unknown> => new Promise((r) => setTimeout(r, 20));
