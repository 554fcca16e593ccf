import { randomBytes } from "node:crypto";
import {
  batchRootOf,
  contentDigest,
  cosignsNeeded,
  type JsonValue,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  ledgerKeys,
} from "#chain";
import { readOwnerSignerFile } from "../functions/auth/signer-file.js";
import { type KeyRecordStore, loadKeyRecords } from "../functions/store/key-records.js";
import { type Consortium, keyGovernanceOf, suiteOf } from "../lib/consortium/consortium.js";
import { keyAddRecord } from "../lib/crypto/key-records.js";
import { keySignatureCheckOf } from "../lib/crypto/verify.js";
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
 * Where the consortium file asks for cosigns of a department's own key records
 * (`keyRecords.cosigns`, rule 5), a first key counts only once other departments cosign
 * it. Local mode holds every department's key file, so it cosigns each department's first
 * key with those of the departments after it in the file (wrapping round) — on every
 * start, so that a start cut short between the adds and their cosigns is completed by the
 * next. Only first keys: a later key record awaits the cosigns its department asks for
 * (`zhixin keys cosign`).
 *
 * Auditors are not introduced: they write no entries, so no entry's signature depends on
 * their keys yet, and intake lets only departments write (functions/ledger/submit.ts).
 */

export interface IntroducedKey {
  owner: string;
  keyId: string;
  entryId: string;
}

interface GenesisOptions {
  url: string;
  home: string;
  consortium: Consortium;
  store: KeyRecordStore;
}

export async function introduceDepartmentKeys(options: GenesisOptions): Promise<IntroducedKey[]> {
  const introduced: IntroducedKey[] = [];
  for (const d of options.consortium.departments) {
    if ((await loadKeyRecords(options.store, d.id)).length > 0) continue;
    const signer = await readOwnerSignerFile(
      suiteOf(options.consortium),
      keyFile(options.home, d.id),
      d.id,
      d.alg,
    );
    const record = await keyAddRecord(signer, d.id);
    const entryId = await submitAs(options, d.id, d.alg, record, `introducing ${d.id}'s key ${signer.keyId}`);
    introduced.push({ owner: d.id, keyId: signer.keyId, entryId });
  }
  await cosignFirstKeys(options);
  return introduced;
}

/** Cosigns every department's first key that still awaits cosigns, as the departments after it. */
async function cosignFirstKeys(options: GenesisOptions): Promise<void> {
  const governance = keyGovernanceOf(options.consortium);
  if (governance.ownerCosigns === 0) return;
  const departments = options.consortium.departments;
  for (const [i, d] of departments.entries()) {
    const { history } = ledgerKeys(
      suiteOf(options.consortium),
      await loadKeyRecords(options.store, d.id),
      keySignatureCheckOf(suiteOf(options.consortium)),
      governance,
    );
    for (const pending of history.pending.values()) {
      const first = pending.data.type === KEY_ADD_TYPE && pending.entry.signedBy === pending.data.keyId;
      if (pending.kind !== "owner" || !first) continue;
      const cosigners = [...departments.slice(i + 1), ...departments.slice(0, i)].filter(
        (c) => !pending.cosigners.includes(c.id),
      );
      const needed = cosignsNeeded(governance, pending, pending.cosigners);
      for (const c of cosigners.slice(0, needed)) {
        const cosign = {
          type: KEY_COSIGN_TYPE,
          data: {
            entryId: pending.entry.entryId,
            contentDigest: contentDigest(suiteOf(options.consortium), pending.entry.data as JsonValue),
          },
        };
        await submitAs(options, c.id, c.alg, cosign, `cosigning ${d.id}'s first key as ${c.id}`);
      }
    }
  }
}

/** POSTs one record as `department`, signed with its key file, and returns its entry id. */
async function submitAs(
  options: GenesisOptions,
  department: string,
  alg: Consortium["departments"][number]["alg"],
  record: { type: string; data: unknown },
  what: string,
): Promise<string> {
  const signer = await readOwnerSignerFile(
    suiteOf(options.consortium),
    keyFile(options.home, department),
    department,
    alg,
  );
  const body = new TextEncoder().encode(JSON.stringify({ records: [record] }));
  const headers = await signRequest({
    // A fresh nonce and this moment, as every client request (cli/client.ts).
    created: Math.floor(Date.now() / 1000),
    nonce: randomBytes(24).toString("base64url"),
    method: "POST",
    path: "/v1/entries",
    body,
    signer,
    department,
    batchRoot: batchRootOf(suiteOf(options.consortium), [record as { type: string; data: JsonValue }]),
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
  const id = answer.entries?.[0]?.id;
  if (res.status !== 202 || id === undefined) {
    throw new Error(
      `${what} was refused: ${res.status} ${answer.error?.code ?? ""} ${answer.error?.message ?? ""}`,
    );
  }
  return id;
}
