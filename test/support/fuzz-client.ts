import { Agent, request as httpRequest } from "node:http";
import { readOwnerSignerFile } from "../../functions/auth/signer-file.js";
import { INTL } from "../../lib/chain/index.js";
import type { LocalSigner } from "../../lib/crypto/local-signer.js";
import { keyFile } from "../../lib/local-home.js";
import { batchRootOf, type FuzzContext, type FuzzRequest, type Member } from "./fuzz-requests.js";
import { signRequestNow } from "./sign-request.js";
/**
 * Sends the requests of ./fuzz-requests.ts to a local node with node:http, which (unlike
 * fetch) sends the request-target as given, and seeds a fresh node with something for
 * them to find. No vitest here, so bench/fuzz.ts can use it.
 */

export interface FuzzOutcome {
  /** 0 when node:http refused to send the request (a header it deems invalid). */
  status: number;
  code?: string;
  /** The refusal was recorded as an access entry (a match refused by its contract). */
  recorded: boolean;
}

/** Sends fuzz requests to a node at `url`, signing with the local keys under `home`. */
export class FuzzClient {
  private readonly signers = new Map<Member, Promise<LocalSigner>>();
  // A connection per request: a request the server cannot frame must not spoil the next one.
  private readonly agent = new Agent({ keepAlive: false });

  constructor(
    private readonly url: string,
    private readonly home: string,
  ) {}

  async send(r: FuzzRequest): Promise<FuzzOutcome> {
    let headers: Record<string, string> = {};
    if (r.sign) {
      try {
        const signed = await signRequestNow({
          method: r.method,
          path: r.path,
          ...(r.query ? { query: r.query } : {}),
          ...(r.body ? { body: r.body } : {}),
          signer: await this.signer(r.sign.keyOf),
          department: r.sign.as,
          created: Math.floor(Date.now() / 1000) + r.sign.createdOffset,
          ...(r.sign.batchRoot ? { batchRoot: r.sign.batchRoot } : {}),
        });
        headers = { ...signed };
      } catch {
        // signRequest refuses what our own clients must not send (a path with a space,
        // say); the server gets it unsigned.
      }
    }
    // Framed by Content-Length: node:http would send a GET's body chunked, which Node's
    // server refuses before any of our code runs.
    if (r.body) headers["content-length"] = String(r.body.length);
    headers = { ...headers, ...r.headers };
    const { port } = new URL(this.url);
    return new Promise((resolve, reject) => {
      let req: ReturnType<typeof httpRequest>;
      try {
        req = httpRequest(
          {
            host: "127.0.0.1",
            port: Number(port),
            method: r.method,
            path: r.query ? `${r.path}?${r.query}` : r.path,
            headers,
            agent: this.agent,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve(outcome(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"))),
            );
            res.on("error", reject);
          },
        );
      } catch {
        resolve({ status: 0, recorded: false });
        return;
      }
      req.on("error", reject);
      req.end(r.body ? Buffer.from(r.body) : undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private signer(member: Member): Promise<LocalSigner> {
    let s = this.signers.get(member);
    if (!s) {
      s = readOwnerSignerFile(INTL, keyFile(this.home, member), member);
      this.signers.set(member, s);
    }
    return s;
  }
}

function outcome(status: number, text: string): FuzzOutcome {
  let error: { code?: string; details?: { accessEntryId?: unknown } } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return {
    status,
    ...(error?.code ? { code: error.code } : {}),
    recorded: typeof error?.details?.accessEntryId === "string",
  };
}

const SUBJECT = "460100198801010011";

/**
 * Gives a fresh node something to find: a certificate and a blacklist record by Haikou,
 * a blacklist contract from Haikou to Sanya in effect, all sealed in block 1 and 2.
 */
export async function seedFuzzNode(
  send: (r: {
    method: string;
    path: string;
    as: string;
    body?: string;
    batchRoot?: Uint8Array;
  }) => Promise<{ status: number; body: unknown; text: string }>,
  seal: () => Promise<unknown>,
): Promise<FuzzContext> {
  const submit = async (as: string, records: Array<{ type: string; data: unknown }>) => {
    const res = await send({
      method: "POST",
      path: "/v1/entries",
      as,
      body: JSON.stringify({ records }),
      batchRoot: batchRootOf(INTL, records),
    });
    if (res.status !== 202) throw new Error(`seeding the fuzz node: ${res.status} ${res.text}`);
    return (res.body as { entries: Array<{ id: string }> }).entries.map((e) => e.id);
  };
  const day = 24 * 60 * 60 * 1000;
  const at = (days: number) => new Date(Date.now() + days * day).toISOString().replace(/\.\d{3}Z$/, "Z");
  const ids = await submit("hf-haikou", [
    { type: "housing-fund.deposit-certificate", data: { citizen: SUBJECT, months: 12, status: "active" } },
    { type: "housing-fund.blacklist", data: { citizen: SUBJECT, action: "add", reason: "fuzz" } },
  ]);
  const contract = {
    id: "fz-open",
    provider: "hf-haikou",
    consumer: "hf-sanya",
    type: "housing-fund.blacklist",
    purpose: "fuzzing",
    share: "unconditional",
    match: ["action"],
    fields: ["action"],
    validFrom: at(-1),
    validUntil: at(365),
    rateLimit: { perMinute: 100_000 },
  };
  const [proposal] = await submit("hf-haikou", [{ type: "zhixin.contract.propose", data: contract }]);
  await seal();
  const view = await send({ method: "GET", path: `/v1/contracts/${contract.id}`, as: "hf-sanya" });
  const version = (
    (view.body as { versions?: unknown } | undefined)?.versions as
      | Array<{ version: string; proposeEntry: string }>
      | undefined
  )?.find((v) => v.proposeEntry === proposal)?.version;
  if (!version) throw new Error(`seeding the fuzz node: no version in ${view.text}`);
  await submit("hf-sanya", [{ type: "zhixin.contract.approve", data: { contractId: contract.id, version } }]);
  await seal();
  return {
    entryIds: [...ids, proposal as string],
    contractIds: [contract.id, "fz-none"],
    subjects: [SUBJECT],
  };
}
