import { readFileSync } from "node:fs";
import { z } from "zod";
import { fromBase64, SIGNATURE_ALGORITHMS, toBase64 } from "#chain";
import type { KeyDirectory, PublicKeyRecord } from "../../lib/crypto/key-directory.js";
import { importPublicKey } from "../../lib/crypto/keys.js";

/**
 * The public keys of a consortium — its trust bundle. The same JSON document is what
 * local mode writes next to its key files, what the verify function is configured
 * with, and what an export bundle carries for offline audits (docs/FORMATS.md §5):
 *
 *   { "log": "zhixin.example/demo",
 *     "keys": [ { "keyId": "hf-haikou/06e3fd8fda29bb60", "owner": "hf-haikou", "role": "department",
 *                 "alg": "ed25519", "spki": "<base64 DER SubjectPublicKeyInfo>",
 *                 "validFrom": "2026-11-21T00:00:00.000Z" }, ... ] }
 *
 * `log`, the log's origin, is optional: bundles written before it existed lack it. Each
 * keyId is derived from owner and spki (deriveKeyId, docs/FORMATS.md §10); the bundle's
 * writers (local/keys.ts, ./kms-key-directory.ts) name keys so, and this reader takes the
 * ids as written.
 */

const KeyRecordSchema = z.object({
  keyId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/),
  owner: z.string().min(1),
  role: z.enum(["department", "auditor", "sealer"]),
  alg: z.enum(SIGNATURE_ALGORITHMS),
  spki: z.string().min(1),
  validFrom: z.iso.datetime({ precision: 3 }),
  validUntil: z.iso.datetime({ precision: 3 }).optional(),
});

export const TrustBundleSchema = z.object({
  log: z.string().min(1).optional(),
  keys: z.array(KeyRecordSchema),
});
export type TrustBundleJson = z.infer<typeof TrustBundleSchema>;

export class StaticKeyDirectory implements KeyDirectory {
  private readonly byId = new Map<string, PublicKeyRecord>();

  constructor(records: readonly PublicKeyRecord[]) {
    for (const r of records) {
      if (this.byId.has(r.keyId)) throw new Error(`duplicate key id ${r.keyId} in the trust bundle`);
      // Fail at load, not at the first signature check, on a key that does not fit its alg.
      importPublicKey(r.alg, r.spki);
      this.byId.set(r.keyId, r);
    }
  }

  getKey(keyId: string): PublicKeyRecord | undefined {
    return this.byId.get(keyId);
  }

  listKeys(): PublicKeyRecord[] {
    return [...this.byId.values()];
  }

  static fromJson(json: unknown): StaticKeyDirectory {
    const bundle = TrustBundleSchema.parse(json);
    return new StaticKeyDirectory(
      bundle.keys.map((k) => ({ ...k, spki: fromBase64(k.spki) }) as PublicKeyRecord),
    );
  }

  static fromFile(path: string): StaticKeyDirectory {
    return StaticKeyDirectory.fromJson(JSON.parse(readFileSync(path, "utf8")));
  }

  toJson(): TrustBundleJson {
    return {
      keys: this.listKeys().map((k) => ({
        keyId: k.keyId,
        owner: k.owner,
        role: k.role,
        alg: k.alg,
        spki: toBase64(k.spki),
        validFrom: k.validFrom,
        ...(k.validUntil ? { validUntil: k.validUntil } : {}),
      })),
    };
  }
}
