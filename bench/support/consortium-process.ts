import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type CryptoSuite, INTL, suiteNamed } from "#chain";
import { readOwnerSignerFile } from "../../functions/auth/signer-file.js";
import { DynamoDbLedgerStore } from "../../functions/store/dynamodb-store.js";
import { batchKeyFor, batchRootOf as chainBatchRoot, type JsonValue } from "../../lib/chain/index.js";
import type { LocalSigner } from "../../lib/crypto/local-signer.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { keyFile } from "../../lib/local-home.js";
import { localDynamoClient } from "../../local/dynalite.js";
import { signRequestNow } from "../../test/support/sign-request.js";
import type { LedgerNodeReady } from "./ledger-node.js";

/**
 * The consortium process of the benches (bench/support/ledger-node.ts, forked), a store
 * over its dynalite from this process, and its API as the `zhixin` CLI calls it: every
 * request signed afresh (RFC 9421, a new nonce each time).
 */

export interface ConsortiumProcess {
  ready: LedgerNodeReady;
  /** The consortium process. */
  pid: number | undefined;
  client: DynamoDBClient;
  store: DynamoDbLedgerStore;
  /** Destroys the client and stops the process (SIGKILL if it has not exited in 10 s). */
  stop(): Promise<void>;
}

/**
 * Starts bench/support/ledger-node.ts in a child process, sealing every `sealIntervalMs`
 * (0: never), on `consortiumFile` (default: consortium.example.json).
 */
export async function startConsortiumProcess(
  sealIntervalMs: number,
  consortiumFile?: string,
): Promise<ConsortiumProcess> {
  // No AWS SDK Node-version warning in the bench's output, from this process or (inherited) the child.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const script = fileURLToPath(new URL("./ledger-node.ts", import.meta.url));
  // stdout ignored: the seal handler logs a line per seal, as it would to CloudWatch.
  const args = [String(sealIntervalMs), ...(consortiumFile === undefined ? [] : [consortiumFile])];
  const child: ChildProcess = fork(script, args, {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const starting = new Promise<LedgerNodeReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the consortium process did not start in 60 s")), 60_000);
    child.once("message", (m: { ready?: LedgerNodeReady }) => {
      clearTimeout(timer);
      if (m.ready) resolve(m.ready);
      else reject(new Error("unexpected message from the consortium process"));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the consortium process exited with ${code}`));
    });
  });
  const ready = await starting.catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  const client = localDynamoClient(ready.dynamoEndpoint);
  return {
    ready,
    pid: child.pid,
    client,
    store: new DynamoDbLedgerStore(client, ready.table),
    async stop() {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A member's signer, from the key file the consortium process wrote under its home (its suite's key id). */
export function memberSigner(ready: LedgerNodeReady, dept: string): Promise<LocalSigner> {
  return readOwnerSignerFile(suiteNamed(ready.suite), keyFile(ready.home, dept), dept);
}

export interface SubmitRecord {
  type: string;
  data: Record<string, JsonValue>;
}

/** The batch root that POST /v1/entries signs: RFC 6962 root over the records' hashes, by the ledger's suite. */
export function batchRootOf(records: readonly SubmitRecord[], suite: CryptoSuite = INTL): Uint8Array {
  return chainBatchRoot(suite, records);
}

export interface SignedPost {
  path: string;
  body: Uint8Array;
  signer: Signer;
  department: string;
  /** POST /v1/entries only. */
  batchRoot?: Uint8Array;
  /** Default: a fresh one. */
  nonce?: string;
}

/**
 * POSTs `request`, freshly signed, to the consortium at `url`; throws `${what} answered
 * <status>: <start of the body>` unless it answers `status`. Returns the body's text.
 */
export async function postSigned(
  url: string,
  request: SignedPost,
  status: number,
  what = request.path,
): Promise<string> {
  const { path, body, signer, department, batchRoot, nonce } = request;
  const headers = await signRequestNow({ method: "POST", path, body, batchRoot, signer, department, nonce });
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(headers as unknown as Record<string, string>) },
    body,
  });
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/**
 * POST /v1/entries as cli/client.ts does it — body, batch root (by the ledger's `suite`), a
 * fresh nonce and a fresh signature — with the nonce kept, to name the batch: returns the
 * answer's text and the batch key `${keyId}#${nonce}`.
 */
export async function submitRecords(
  url: string,
  signer: Signer,
  department: string,
  records: readonly SubmitRecord[],
  suite: CryptoSuite = INTL,
): Promise<{ text: string; batchKey: string }> {
  const nonce = randomBytes(24).toString("base64url");
  const body = new TextEncoder().encode(JSON.stringify({ records }));
  const batchRoot = batchRootOf(records, suite);
  const request = { path: "/v1/entries", body, batchRoot, signer, department, nonce };
  const text = await postSigned(url, request, 202, "submit");
  return { text, batchKey: batchKeyFor(signer.keyId, nonce) };
}
