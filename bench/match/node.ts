import { fileURLToPath } from "node:url";
import { loadConsortium } from "../../functions/runtime/consortium-file.js";
import type { JsonValue } from "../../lib/chain/index.js";
import type { Consortium } from "../../lib/consortium/consortium.js";
import type { Signer } from "../../lib/crypto/signer.js";
import {
  type ConsortiumProcess,
  memberSigner,
  postSigned,
  type SubmitRecord,
  startConsortiumProcess,
  submitRecords,
} from "../support/consortium-process.js";
import { CONSORTIUM_FILE, CONSUMER, PROVIDER } from "./settings.js";

/** The match benchmark's consortium process and the API calls it makes of it. */

export interface RunningNode extends ConsortiumProcess {
  consortium: Consortium;
  signers: Map<string, Signer>;
}

/** The consortium process without a seal timer (the bench seals through POST /local/seal). */
export async function startNode(): Promise<RunningNode> {
  const node = await startConsortiumProcess(0);
  const signers = new Map<string, Signer>();
  for (const dept of [PROVIDER, CONSUMER]) signers.set(dept, await memberSigner(node.ready, dept));
  return { ...node, consortium: loadConsortium(fileURLToPath(CONSORTIUM_FILE)), signers };
}

export type JsonData = Record<string, JsonValue>;

/** POST /v1/entries as `dept`; returns the new entries' ids and the batch key. */
export async function submit(
  node: RunningNode,
  dept: string,
  records: SubmitRecord[],
): Promise<{ entries: Array<{ id: string }>; batchKey: string }> {
  const signer = node.signers.get(dept) as Signer;
  const { text, batchKey } = await submitRecords(node.ready.url, signer, dept, records);
  const { entries } = JSON.parse(text) as { entries: Array<{ id: string }> };
  return { entries, batchKey };
}

/** A signed POST (fresh nonce) by `dept`; throws unless it answers `status`. */
export async function signedPost<T>(
  node: RunningNode,
  dept: string,
  path: string,
  body: Uint8Array,
  status: number,
): Promise<T> {
  const signer = node.signers.get(dept) as Signer;
  return JSON.parse(await postSigned(node.ready.url, { path, body, signer, department: dept }, status)) as T;
}

/** A local-only administration route of the consortium (POST /local/seal). */
export async function post(node: RunningNode, path: string): Promise<unknown> {
  const res = await fetch(`${node.ready.url}${path}`, { method: "POST", body: "{}" });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
