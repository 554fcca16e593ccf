import { readOwnerSignerFile } from "../../functions/auth/signer-file.js";
import { INTL } from "../../lib/chain/index.js";
import { keyFile } from "../../lib/local-home.js";
import { batchRootOf } from "./local-node.js";
import { signRequestNow } from "./sign-request.js";
/**
 * Requests to a running local node (test/support/node-process.ts) as its members make
 * them: signed with the member's key file in the node's home, read afresh each time, so a
 * key rotated on disk signs the next request.
 */

export interface NodeAddress {
  /** The HTTP API, e.g. http://127.0.0.1:39713. */
  url: string;
  /** Its ZHIXIN_HOME, where the members' key files are. */
  home: string;
}

/** A GET signed as member `as`: its status and body text. */
export async function memberGet(
  node: NodeAddress,
  path: string,
  as: string,
): Promise<{ status: number; text: string }> {
  const headers = await signRequestNow({
    method: "GET",
    path,
    signer: await readOwnerSignerFile(INTL, keyFile(node.home, as), as),
    department: as,
  });
  const res = await fetch(`${node.url}${path}`, { headers: { ...headers } });
  return { status: res.status, text: await res.text() };
}

/** Submits one housing-fund deposit certificate as `department`, and returns its entry id. */
export async function submitDeposit(
  node: NodeAddress,
  months: number,
  department = "hf-haikou",
): Promise<string> {
  const records = [
    {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months, status: "active" },
    },
  ];
  const body = new TextEncoder().encode(JSON.stringify({ records }));
  const headers = await signRequestNow({
    method: "POST",
    path: "/v1/entries",
    body,
    signer: await readOwnerSignerFile(INTL, keyFile(node.home, department), department),
    department,
    batchRoot: batchRootOf(INTL, records),
  });
  const res = await fetch(`${node.url}/v1/entries`, { method: "POST", headers: { ...headers }, body });
  const receipt = (await res.json()) as { entries?: Array<{ id: string }> };
  const id = receipt.entries?.[0]?.id;
  if (res.status !== 202 || id === undefined)
    throw new Error(`submit as ${department}: ${res.status} ${JSON.stringify(receipt)}`);
  return id;
}

/** Waits until entry `id` is sealed (read as the auditor) and returns its height. */
export async function waitSealed(node: NodeAddress, id: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = JSON.parse((await memberGet(node, `/v1/entries/${id}`, "auditor")).text) as {
      status: string;
      sealed?: { height: number };
    };
    if (entry.status === "sealed") return entry.sealed?.height as number;
    if (Date.now() > deadline) throw new Error(`entry ${id} not sealed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
