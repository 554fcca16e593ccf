import { subjectHmac } from "#chain";
import type { Caller } from "./caller.js";
import type { Consortium } from "./consortium.js";
import { ApiError } from "./errors.js";
import { byLedgerOrder, committedIndexEntries } from "./index-entries.js";
import type { AccessDetails } from "./match.js";
import type { LedgerStore } from "./ports.js";
import { type EntryView, readEntry } from "./reader.js";

/**
 * GET /v1/access?subject=… (docs/design/sharing.md §5): every recorded access to a
 * subject's records, oldest first, each with its envelope, what it recorded and — once
 * sealed — its inclusion proof. A department sees the accesses it made (as consumer) and
 * those to its own records (as provider); an auditor sees all. The subject is HMAC'd
 * with the deployment's key, so the trail is found without any index holding it in clear.
 */

/** Accesses returned at most: the newest ones. */
export const MAX_TRAIL = 1000;

export interface AccessTrail {
  subjectHmac: string;
  accesses: Array<{ access: AccessDetails; consumer: string; entry: Omit<EntryView, "payload"> }>;
  /** True when the caller may see more than MAX_TRAIL accesses: the newest MAX_TRAIL are shown. */
  truncated: boolean;
}

export async function readAccessTrail(
  caller: Caller,
  query: string | undefined,
  deps: { store: LedgerStore; consortium: Consortium; subjectKey: Uint8Array },
): Promise<AccessTrail> {
  const params = new URLSearchParams(query ?? "");
  const subject = params.get("subject");
  const unknown = [...params.keys()].filter((k) => k !== "subject");
  if (!subject || unknown.length > 0 || params.getAll("subject").length > 1) {
    throw new ApiError("INVALID_PARAMETER", "the query is exactly ?subject=<subject>");
  }
  let hmac: string;
  try {
    hmac = subjectHmac(deps.subjectKey, subject);
  } catch (e) {
    throw new ApiError("INVALID_PARAMETER", (e as Error).message);
  }
  const listed = await deps.store.listIndexEntries(`A#${hmac}`);
  const visible = listed.filter(
    (e) =>
      caller.role === "auditor" ||
      e.attrs.consumer === caller.department ||
      e.attrs.provider === caller.department,
  );
  const committed = (await committedIndexEntries(deps.store, visible)).sort(byLedgerOrder);
  const shown = committed.slice(-MAX_TRAIL);
  const accesses: AccessTrail["accesses"] = [];
  for (const e of shown) {
    const { payload, ...entry } = await readEntry(caller, e.entryId, deps.store, deps.consortium);
    accesses.push({ access: payload as AccessDetails, consumer: entry.envelope.dept, entry });
  }
  return { subjectHmac: hmac, accesses, truncated: committed.length > shown.length };
}
