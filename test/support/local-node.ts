import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type CryptoSuite, batchRootOf as chainBatchRoot, type JsonValue } from "#chain";
import { readOwnerSignerFile, readSignerFile } from "../../functions/auth/signer-file.js";
import { loadLocalSubjectKey } from "../../functions/sharing/subject-key.js";
import { scanAll } from "../../functions/store/snapshot.js";
import type { Clock } from "../../lib/clock.js";
import { suiteOf } from "../../lib/consortium/consortium.js";
import type { LocalSigner } from "../../lib/crypto/local-signer.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { keyFile } from "../../lib/local-home.js";
import { type LocalConsortium, startLocalConsortium } from "../../local/consortium-node.js";
import { signRequestNow } from "./sign-request.js";
import { assertTestSuite, testConsortiumFile } from "./test-suite.js";

/**
 * A local consortium for end-to-end tests: temp home, any free ports, no seal timer
 * (tests seal explicitly), and a helper to send signed requests as any member —
 * including requests deliberately wrong in one respect.
 */

export interface TestNode {
  node: LocalConsortium;
  /** The consortium file it runs (under gm, the example made a gm file in its home). */
  consortiumFile: string;
  url: string;
  client: DynamoDBClient;
  table: string;
  /** The node's working subject key (from its keys/subject.key), to compute index and claim keys. */
  subjectKey: Uint8Array;
  /** Every item in the table, sorted: compare before/after to prove "nothing changed". */
  snapshot(): Promise<unknown[]>;
  send(request: TestRequest): Promise<TestResponse>;
  /** The key id a member signs with: derived from its key file (docs/design/key-history.md §1). */
  keyIdOf(member: string): Promise<string>;
  submit(
    as: string,
    records: Array<{ type: string; data: unknown }>,
    extra?: Partial<TestRequest>,
  ): Promise<TestResponse>;
  seal(): Promise<any>;
  stop(): Promise<void>;
}

export interface TestResponse {
  status: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: any;
  text: string;
  bytes: Uint8Array;
  headers: Headers;
}

export interface TestRequest {
  method: string;
  path: string;
  query?: string;
  /** Acting member, whose key signs (unless signAs says otherwise). */
  as?: string;
  /** Sign with this member's key while claiming `as` (a key of another department). */
  signAs?: string;
  /** Key id to put in the signature (default: the signing member's, derived from its key). */
  keyId?: string;
  /** Sign with this key instead of a member's key file (a key the ledger's history added). */
  signer?: Signer;
  body?: string | Uint8Array;
  /** Body actually sent, when it should differ from the signed one. */
  sendBody?: string | Uint8Array;
  batchRoot?: Uint8Array;
  nonce?: string;
  created?: number;
  /** Edit the signed headers before sending. */
  editHeaders?: (h: Record<string, string>) => void;
  unsigned?: boolean;
}

export function batchRootOf(suite: CryptoSuite, records: Array<{ type: string; data: unknown }>): Uint8Array {
  return chainBatchRoot(suite, records as Array<{ type: string; data: JsonValue }>);
}

/**
 * The system clock moved forward by `aheadMs`: a test that needs the node's time at a
 * given point (the start of a minute, say) moves it there instead of waiting. It never
 * goes back, so receive times stay in order and within the skew a request may have.
 */
export class AheadClock implements Clock {
  aheadMs = 0;
  now(): Date {
    return new Date(Date.now() + this.aheadMs);
  }
}

export { TEST_SUITE, testSuite } from "./test-suite.js";

export async function startTestNode(
  options: { clock?: Clock; introduceKeys?: boolean; consortiumFile?: string; consoleDir?: string } = {},
): Promise<TestNode> {
  const home = await mkdtemp(join(tmpdir(), "zhixin-e2e-"));
  const consortiumFile = options.consortiumFile ?? (await testConsortiumFile(home));
  const node = await startLocalConsortium({
    home,
    consortiumFile,
    port: 0,
    dynamoPort: 0,
    sealIntervalMs: 0,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.introduceKeys ? { introduceKeys: true } : {}),
    ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
  });
  const suite = suiteOf(node.consortium);
  try {
    assertTestSuite(suite, "this test node");
  } catch (e) {
    await node.stop();
    throw e;
  }
  const signers = new Map<string, LocalSigner>();
  /** The member's key, under its own (derived) key id, or under `keyId` if given. */
  const signer = async (member: string, keyId?: string) => {
    const k = `${member}|${keyId ?? ""}`;
    let s = signers.get(k);
    if (!s) {
      const path = keyFile(home, member);
      s =
        keyId === undefined
          ? await readOwnerSignerFile(suite, path, member)
          : await readSignerFile(path, keyId, undefined, suite.sm2Id);
      signers.set(k, s);
    }
    return s;
  };
  const enc = (b: string | Uint8Array | undefined) =>
    typeof b === "string" ? new TextEncoder().encode(b) : b;

  async function send(r: TestRequest) {
    const body = enc(r.body);
    let headers: Record<string, string> = { "content-type": "application/json" };
    if (!r.unsigned) {
      const member = r.signAs ?? r.as ?? "hf-haikou";
      const signed = await signRequestNow({
        method: r.method,
        path: r.path,
        ...(r.query ? { query: r.query } : {}),
        ...(body ? { body } : {}),
        signer: r.signer ?? (await signer(member, r.keyId)),
        department: r.as ?? member,
        ...(r.nonce ? { nonce: r.nonce } : {}),
        ...(r.created !== undefined ? { created: r.created } : {}),
        ...(r.batchRoot ? { batchRoot: r.batchRoot } : {}),
      });
      headers = { ...headers, ...(signed as unknown as Record<string, string>) };
    }
    r.editHeaders?.(headers);
    const res = await fetch(`${node.url}${r.path}${r.query ? `?${r.query}` : ""}`, {
      method: r.method,
      headers,
      ...(r.sendBody !== undefined || body ? { body: enc(r.sendBody) ?? body } : {}),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed as any, text, bytes, headers: res.headers };
  }

  return {
    node,
    consortiumFile,
    url: node.url,
    client: node.dynamo.client,
    table: node.table,
    subjectKey: await loadLocalSubjectKey(suite, join(home, "keys", "subject.key")),
    snapshot: () => scanAll(node.dynamo.client, node.table),
    send,
    keyIdOf: async (member) => (await signer(member)).keyId,
    submit: (as, records, extra = {}) =>
      send({
        method: "POST",
        path: "/v1/entries",
        as,
        body: JSON.stringify({ records }),
        batchRoot: batchRootOf(suite, records),
        ...extra,
      }),
    seal: () => node.seal(),
    async stop() {
      await node.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
