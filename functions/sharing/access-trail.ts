import { subjectHmac } from "#chain";
import { type Consortium, suiteOf } from "../../lib/consortium/consortium.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { parseJsonBody } from "../../lib/protocol/json-body.js";
import {
  type AccessDetails,
  AccessQueryBody,
  type AccessTrail,
  MAX_ACCESS_BODY_BYTES,
  MAX_TRAIL,
} from "../../lib/protocol/sharing.js";
import { accessIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { type EntryStore, readEntry } from "../ledger/reader.js";
import { byLedgerOrder, committedIndexEntries } from "../store/index-entries.js";
import type { BatchStore, IndexStore } from "../store/ports.js";

/**
 * POST /v1/access with `{"subject": …}`, and GET /v1/access?subject=… (docs/design/sharing.md
 * §5; the query is parsed by http-parse.ts): every recorded access to a
 * subject's records, oldest first, each with its envelope, what it recorded and — once
 * sealed — its inclusion proof. A department sees the accesses it made (as consumer) and
 * those to its own records (as provider); an auditor sees all. The subject is HMAC'd
 * with the deployment's key, so the trail is found without any index holding it in clear.
 * POST keeps the subject out of the URL, and so out of every access log on its way.
 */

/** What the trail reads: the A# index entries, their batches' heads, and each entry. */
export type TrailStore = Pick<IndexStore, "listIndexEntries"> &
  Pick<BatchStore, "getBatchHeads"> &
  EntryStore;

/** Requires `subject` to be 1 to MAX_SUBJECT_BYTES UTF-8 bytes (http-parse.ts checks it). */
export async function readAccessTrail(
  caller: Caller,
  subject: string,
  deps: { store: TrailStore; consortium: Consortium; subjectKey: Uint8Array },
): Promise<AccessTrail> {
  const hmac = subjectHmac(suiteOf(deps.consortium), deps.subjectKey, subject);
  const listed = await deps.store.listIndexEntries(accessIndex(hmac));
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

/**
 * POST /v1/access: the trail of the subject in the body, `{"subject": "<1–256 UTF-8 bytes>"}`,
 * read as I-JSON like every body (lib/protocol/json-body.ts). Nothing here logs the body.
 */
export async function readAccessTrailOf(
  caller: Caller,
  body: Uint8Array,
  deps: { store: TrailStore; consortium: Consortium; subjectKey: Uint8Array },
): Promise<AccessTrail> {
  if (body.length > MAX_ACCESS_BODY_BYTES) {
    throw new ApiError(
      "BODY_TOO_LARGE",
      `body is ${body.length} bytes; the limit is ${MAX_ACCESS_BODY_BYTES}`,
    );
  }
  const parsed = AccessQueryBody.safeParse(parseJsonBody(body));
  if (!parsed.success) {
    throw new ApiError(
      "SCHEMA_VIOLATION",
      'body must be {"subject": "<1 to 256 UTF-8 bytes>"} and nothing else',
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return readAccessTrail(caller, parsed.data.subject, deps);
}
