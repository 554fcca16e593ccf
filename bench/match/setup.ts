import { readFileSync } from "node:fs";
import { INTL } from "#chain";
import { type ContractDocument, contractVersion } from "../../lib/protocol/contracts.js";
import { pool } from "../support/pool.js";
import { type JsonData, type RunningNode, submit } from "./node.js";
import { CERTIFICATE, type Certificate, CONCURRENCY, CONSUMER, CONTRACT_FILE, PROVIDER } from "./settings.js";

/** The match benchmark's setup: the S1 contract, proposed and approved, and the certificates. */

/** The S1 contract with a rate limit that never refuses (and in effect whenever the bench runs). */
export function benchContract(): ContractDocument {
  const example = JSON.parse(readFileSync(CONTRACT_FILE, "utf8")) as ContractDocument;
  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    ...example,
    rateLimit: { perMinute: 100_000 },
    validUntil: Date.parse(example.validUntil) > Date.parse(inAYear) ? example.validUntil : inAYear,
  };
}

/** The provider proposes the document; the consumer approves that version. */
export async function setUpContract(node: RunningNode, doc: ContractDocument): Promise<string> {
  const version = contractVersion(INTL, doc);
  await submit(node, PROVIDER, [{ type: "zhixin.contract.propose", data: doc as unknown as JsonData }]);
  await submit(node, CONSUMER, [{ type: "zhixin.contract.approve", data: { contractId: doc.id, version } }]);
  return version;
}

/** Certificates for citizens from..from+count-1, in batches of `batchSize`, CONCURRENCY requests in flight. */
export async function writeCertificates(
  node: RunningNode,
  from: number,
  count: number,
  batchSize: number,
): Promise<Certificate[]> {
  const all: Certificate[] = [];
  await pool(Math.ceil(count / batchSize), CONCURRENCY, async (b) => {
    const start = b * batchSize;
    const certs = Array.from({ length: Math.min(batchSize, count - start) }, (_, j) =>
      certificateOf(from + start + j),
    );
    const records = certs.map((c) => ({
      type: CERTIFICATE,
      data: {
        citizen: c.citizen,
        months: c.months,
        status: c.status,
        issuedAt: "2026-01-15",
        issuer: "Haikou Housing Provident Fund Centre",
        serial: `BENCH-${c.citizen.slice(-8)}`,
      },
    }));
    const { entries, batchKey } = await submit(node, PROVIDER, records);
    certs.forEach((c, j) => {
      all[start + j] = { ...c, entryId: (entries[j] as { id: string }).id, batchKey };
    });
  });
  return all;
}

/** The n-th citizen (distinct 18-digit resident ID numbers) and their certificate's fields. */
export function certificateOf(n: number): Omit<Certificate, "entryId" | "batchKey"> {
  return {
    citizen: `4601001990${String(n).padStart(8, "0")}`,
    months: n % 240,
    status: n % 7 === 0 ? "closed" : "active",
  };
}
