import { contentDigest, entryIdFor, INTL, MerkleTree, recordHash, utf8 } from "#chain";
import { readOwnerSignerFile } from "../../functions/auth/signer-file.js";
import type { LocalSigner } from "../../lib/crypto/local-signer.js";
import { keyFile } from "../../lib/local-home.js";
import { signRequestNow } from "./sign-request.js";

/**
 * A seeded mix of signed submits for load tests against a local consortium
 * (consortium.example.json): housing-fund certificates in batches of 1 to 30 (most of 1 or 2), S8 invoice
 * claims (a `unique` type) with some invoice numbers claimed a second time by another
 * department, S4 fund transfers, and the other signers' zhixin.cosign of transfers the
 * ledger has accepted. Each request is signed once, when it is first sent: a retry sends
 * the very same bytes (same nonce, same signature), as a client whose request died must.
 */

export interface SubmitRecord {
  type: string;
  data: Record<string, unknown>;
}

export interface SignedSubmit {
  /** 0-based order of generation. */
  n: number;
  kind: "certificates" | "invoices" | "duplicate-invoice" | "transfers" | "cosign";
  dept: string;
  records: SubmitRecord[];
  /** The ledger's key of this request's batch: `keyId#nonce`. */
  batchKey: string;
  /** The entry ids the ledger derives for these records under this request's key id and nonce. */
  ids: string[];
  body: Uint8Array;
  headers: Record<string, string>;
  /** For a duplicate-invoice: the request that claimed the invoice number first. */
  duplicateOf?: number;
  /** For a cosign: the entry it signs. */
  cosignOf?: string;
}

/** mulberry32: a tiny seeded PRNG, so a run's mix can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MEMBERS = ["hf-haikou", "hf-sanya", "market-regulation", "service-centre"] as const;
/** fund.transfer's signers other than its writer here (hf-haikou). */
const COSIGNERS = ["hf-sanya", "market-regulation"] as const;

export class SubmitWorkload {
  private readonly random: () => number;
  private readonly signers = new Map<string, LocalSigner>();
  private count = 0;
  private invoiceNo = 0;
  /** Single-claim invoice requests whose number nobody has claimed a second time yet. */
  private readonly duplicable: Array<{ n: number; invoiceNo: string }> = [];
  /** Transfers the ledger accepted, with the signers that have not been asked to co-sign yet. */
  private readonly transfers: Array<{ id: string; digest: string; missing: string[] }> = [];

  private constructor(
    private readonly seed: number,
    signers: Map<string, LocalSigner>,
  ) {
    this.random = seededRandom(seed);
    this.signers = signers;
  }

  /** Loads the members' keys from the node's home (they exist once it has started). */
  static async open(home: string, seed: number): Promise<SubmitWorkload> {
    const signers = new Map<string, LocalSigner>();
    for (const m of MEMBERS) signers.set(m, await readOwnerSignerFile(INTL, keyFile(home, m), m));
    return new SubmitWorkload(seed, signers);
  }

  /** Tells the workload a request was accepted (202, or NONCE_REPLAYED after a lost answer). */
  accepted(request: SignedSubmit): void {
    if (request.kind !== "transfers") return;
    request.records.forEach((r, i) => {
      this.transfers.push({
        id: request.ids[i] as string,
        digest: contentDigest(INTL, r.data as never),
        missing: [...COSIGNERS],
      });
    });
  }

  /** The next request, signed now. */
  async next(): Promise<SignedSubmit> {
    const n = this.count++;
    const pick = this.random();
    if (pick < 0.1) {
      const cosign = this.cosign();
      if (cosign) return this.sign(n, "cosign", cosign.dept, [cosign.record], { cosignOf: cosign.target });
    }
    if (pick < 0.14 && this.duplicable.length > 0) {
      const original = this.duplicable.splice(Math.floor(this.random() * this.duplicable.length), 1)[0];
      if (original) {
        const record = this.invoice(original.invoiceNo, "Second Claimant Ltd.");
        return this.sign(n, "duplicate-invoice", "market-regulation", [record], { duplicateOf: original.n });
      }
    }
    if (pick < 0.26) {
      const size = 1 + Math.floor(this.random() * 3);
      const numbers = Array.from({ length: size }, () => String(10_000_000 + this.invoiceNo++));
      if (size === 1) this.duplicable.push({ n, invoiceNo: numbers[0] as string });
      return this.sign(
        n,
        "invoices",
        "service-centre",
        numbers.map((no) => this.invoice(no, "First Claimant Co.")),
      );
    }
    if (pick < 0.34) {
      const size = 1 + Math.floor(this.random() * 2);
      return this.sign(
        n,
        "transfers",
        "hf-haikou",
        Array.from({ length: size }, (_, i) => this.transfer(n, i)),
      );
    }
    const r = this.random();
    const size =
      r < 0.65
        ? 1 + Math.floor(this.random() * 2)
        : r < 0.93
          ? 3 + Math.floor(this.random() * 4)
          : 10 + Math.floor(this.random() * 21);
    const dept = this.random() < 0.5 ? "hf-haikou" : "hf-sanya";
    return this.sign(
      n,
      "certificates",
      dept,
      Array.from({ length: size }, (_, i) => this.certificate(n, i)),
    );
  }

  private cosign(): { dept: string; target: string; record: SubmitRecord } | undefined {
    const open = this.transfers.filter((t) => t.missing.length > 0);
    const target = open[Math.floor(this.random() * open.length)];
    if (!target) return undefined;
    const dept = target.missing.splice(Math.floor(this.random() * target.missing.length), 1)[0] as string;
    return {
      dept,
      target: target.id,
      record: { type: "zhixin.cosign", data: { entryId: target.id, contentDigest: target.digest } },
    };
  }

  private certificate(n: number, i: number): SubmitRecord {
    const citizen = `460100${String(n * 100 + i).padStart(11, "0")}X`;
    return {
      type: "housing-fund.deposit-certificate",
      data: {
        citizen,
        months: Math.floor(this.random() * 240),
        status: this.random() < 0.9 ? "active" : "closed",
      },
    };
  }

  private invoice(invoiceNo: string, claimant: string): SubmitRecord {
    return {
      type: "invoice.claim",
      data: {
        invoiceNo,
        amount: 1 + Math.floor(this.random() * 99_999) / 100,
        claimant,
        claimedAt: "2026-12-01",
      },
    };
  }

  private transfer(n: number, i: number): SubmitRecord {
    return {
      type: "fund.transfer",
      data: {
        project: `crash-seed-${this.seed}`,
        stage: `stage ${n}.${i}`,
        payer: "Developer Co.",
        payee: "Builder Co.",
        amount: 1000 + n,
        currency: "CNY",
      },
    };
  }

  private async sign(
    n: number,
    kind: SignedSubmit["kind"],
    dept: string,
    records: SubmitRecord[],
    extra: Pick<SignedSubmit, "duplicateOf" | "cosignOf"> = {},
  ): Promise<SignedSubmit> {
    const signer = this.signers.get(dept);
    if (!signer) throw new Error(`no key for ${dept}`);
    const hashes = records.map((r) => recordHash(INTL, r.type, contentDigest(INTL, r.data as never)));
    // Nonces are 16..128 of [A-Za-z0-9_-]; seed and number keep them unique per run.
    const nonce = `load-seed-${this.seed}-request-${String(n).padStart(6, "0")}`;
    const body = utf8(JSON.stringify({ records }));
    const headers = await signRequestNow({
      method: "POST",
      path: "/v1/entries",
      body,
      signer,
      department: dept,
      nonce,
      batchRoot: new MerkleTree(INTL, hashes).root(),
    });
    return {
      n,
      kind,
      dept,
      records,
      batchKey: `${signer.keyId}#${nonce}`,
      ids: hashes.map((h, i) => entryIdFor(INTL, signer.keyId, nonce, i, h)),
      body,
      headers: { "content-type": "application/json", ...(headers as unknown as Record<string, string>) },
      ...extra,
    };
  }
}
