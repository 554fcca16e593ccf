import { randomBytes } from "node:crypto";
import { batchRootOf } from "#chain";
import { readOwnerSignerFile } from "../functions/auth/signer-file.js";
import { type KeyRecordStore, loadKeyRecords } from "../functions/store/key-records.js";
import type { Consortium } from "../lib/consortium/consortium.js";
import { keyAddRecord } from "../lib/crypto/key-records.js";
import { signRequest } from "../lib/http-signature/index.js";
import { keyFile } from "../lib/local-home.js";

/**
 * The genesis of the key history (docs/design/key-history.md §3 rule 1, §5): on `npm
 * start`, every department that has no key record yet introduces its key file's key with
 * a `zhixin.key.add` signed by that key itself, through the node's own API like any
 * record, so it is sealed in the next block where every department and witness sees it.
 * A department whose key records exist is left alone: a restart introduces nothing, and a
 * rotated key is never introduced again.
 *
 * Auditors are not introduced: they write no entries, so no entry's signature depends on
 * their keys yet, and intake lets only departments write (functions/ledger/submit.ts).
 */

export interface IntroducedKey {
  owner: string;
  keyId: string;
  entryId: string;
}

export async function introduceDepartmentKeys(options: {
  url: string;
  home: string;
  consortium: Consortium;
  store: KeyRecordStore;
}): Promise<IntroducedKey[]> {
  const introduced: IntroducedKey[] = [];
  for (const d of options.consortium.departments) {
    if ((await loadKeyRecords(options.store, d.id)).length > 0) continue;
    const signer = await readOwnerSignerFile(keyFile(options.home, d.id), d.id, d.alg);
    const record = await keyAddRecord(signer, d.id);
    const body = new TextEncoder().encode(JSON.stringify({ records: [record] }));
    const headers = await signRequest({
      // A fresh nonce and this moment, as every client request (cli/client.ts).
      created: Math.floor(Date.now() / 1000),
      nonce: randomBytes(24).toString("base64url"),
      method: "POST",
      path: "/v1/entries",
      body,
      signer,
      department: d.id,
      batchRoot: batchRootOf([record]),
    });
    const res = await fetch(new URL("/v1/entries", options.url), {
      method: "POST",
      headers: { "content-type": "application/json", ...(headers as unknown as Record<string, string>) },
      body,
    });
    const answer = (await res.json()) as {
      entries?: Array<{ id: string }>;
      error?: { code: string; message: string };
    };
    if (res.status !== 202 || answer.entries?.[0] === undefined) {
      throw new Error(
        `introducing ${d.id}'s key ${signer.keyId} was refused: ${res.status} ${answer.error?.code ?? ""} ${answer.error?.message ?? ""}`,
      );
    }
    introduced.push({ owner: d.id, keyId: signer.keyId, entryId: answer.entries[0].id });
  }
  return introduced;
}
