import type { Signer } from "../../lib/crypto/signer.js";
import {
  type ConsortiumProcess,
  memberSigner,
  type SubmitRecord,
  startConsortiumProcess,
  submitRecords,
} from "../support/consortium-process.js";
import { pool } from "../support/pool.js";
import { CONCURRENCY, WRITERS } from "./settings.js";

/** The ledger benchmark's consortium process, its writers, and the records they submit. */

export interface Writer {
  dept: string;
  type: string;
  signer: Signer;
}

// ---- the consortium process --------------------------------------------------------

export interface RunningNode extends ConsortiumProcess {
  writers: Writer[];
}

export async function startNode(sealIntervalMs: number): Promise<RunningNode> {
  const node = await startConsortiumProcess(sealIntervalMs);
  const writers = await Promise.all(
    WRITERS.map(async (w) => ({ ...w, signer: await memberSigner(node.ready, w.dept) })),
  );
  return { ...node, writers };
}

// ---- submit ------------------------------------------------------------------------

let serial = 0;

/** A record of roughly a real certificate's size (~220 bytes of canonical JSON). */
/**
 * A valid record of each benchmarked type (consortium.example.json's schemas), each about
 * the same size (~300 bytes as canonical JSON) and distinct by its serial number.
 */
export function makeRecord(type: string): SubmitRecord {
  const n = serial++;
  const id = `46010019900101${String(n % 10_000).padStart(4, "0")}`;
  const note = "deposits continuous since account opening; no arrears recorded";
  switch (type) {
    case "licence.marriage":
      return {
        type,
        data: {
          certificateNo: `J460100-2026-${String(n % 1_000_000).padStart(6, "0")}`,
          spouses: [`${id}`, `46010019920202${String(n % 10_000).padStart(4, "0")}`],
          registeredOn: "2026-01-15",
          office: "Haikou Civil Affairs Bureau, Longhua District marriage registry",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
        },
      };
    case "audit.db-operation":
      return {
        type,
        data: {
          department: "service-centre",
          post: "window-clerk-07",
          operation: n % 5 === 0 ? "write" : "read",
          table: "citizen_licences",
          rows: n % 50,
          at: "2026-01-15T08:30:00.000Z",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
          remarks: note,
        },
      };
    case "evidence.digest":
      return {
        type,
        data: {
          sha256: n.toString(16).padStart(64, "0"),
          capturedAt: "2026-01-15T08:30:00.000Z",
          caseId: `(2026)浙0192民初${n}号`,
          mediaType: "application/pdf",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
        },
      };
    default:
      return {
        type,
        data: {
          citizen: id,
          months: n % 240,
          status: n % 7 === 0 ? "closed" : "active",
          issuedAt: "2026-01-15",
          issuer: "Haikou Housing Provident Fund Centre",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
          remarks: note,
        },
      };
  }
}

/** Submits `size` records as one writer (by index); returns the batch key. */
export async function submitBatch(node: RunningNode, index: number, size: number): Promise<string> {
  const writer = node.writers[index % node.writers.length] as Writer;
  const records = Array.from({ length: size }, () => makeRecord(writer.type));
  const { batchKey } = await submitRecords(node.ready.url, writer.signer, writer.dept, records);
  return batchKey;
}

export async function submitAll(
  node: RunningNode,
  requests: number,
  size: number,
): Promise<{ requests: number; records: number; seconds: number }> {
  const t0 = performance.now();
  await pool(requests, CONCURRENCY, (i) => submitBatch(node, i, size));
  return { requests, records: requests * size, seconds: (performance.now() - t0) / 1000 };
}
