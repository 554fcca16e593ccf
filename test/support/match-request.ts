import { utf8 } from "#chain";
import { signRequest, verifyRequest } from "../../lib/http-signature/index.js";
import type { Dept, Ledger, SignedSubmit } from "../integration/ledger/harness.js";
import { testSuite } from "./test-suite.js";

/**
 * A POST /v1/match by `dept` (default the S1/S2 consumer, hf-sanya), signed with its key
 * at the ledger's clock and authenticated as the API does. Re-sending the result is a
 * client retry (same nonce, same signature).
 */
export async function signMatch(
  ledger: Ledger,
  question: unknown,
  nonce: string,
  dept: Dept = "hf-sanya",
): Promise<SignedSubmit> {
  const signer = ledger.members.depts.get(dept);
  if (!signer) throw new Error(`no key for ${dept}`);
  const body = utf8(JSON.stringify(question));
  const now = ledger.clock.now();
  const headers = await signRequest({
    method: "POST",
    path: "/v1/match",
    body,
    signer,
    department: dept,
    nonce,
    created: Math.floor(now.getTime() / 1000),
  });
  const caller = verifyRequest(
    { method: "POST", path: "/v1/match", headers: { ...headers }, body },
    { keys: ledger.members.keys, now, requireBatchRoot: false, suite: testSuite },
  );
  return { caller, body };
}
