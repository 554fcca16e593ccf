import { S3Client } from "@aws-sdk/client-s3";
import { type AuditStateStore, S3AuditStateStore } from "../audit/audit-state.js";
import { localS3Client } from "../store/s3/tile-store.js";

/**
 * The verify function's own store (functions/audit/audit-state.ts), from the environment:
 *
 *   ZHIXIN_AUDIT_STATE_BUCKET  the S3 bucket of the audit's state and fan-out results
 *                              (cdk/lib/audit.ts; only the verify role may write it);
 *                              unset: the scheduled audit payloads are refused
 *   ZHIXIN_S3_ENDPOINT         S3 endpoint override (local mode: s3rver)
 *
 * Built once per process, as runtime.ts builds its parts.
 */
let store: AuditStateStore | undefined;

export function auditStateStore(env: NodeJS.ProcessEnv = process.env): AuditStateStore | undefined {
  const bucket = env.ZHIXIN_AUDIT_STATE_BUCKET;
  if (!bucket) return undefined;
  const endpoint = env.ZHIXIN_S3_ENDPOINT;
  store ??= new S3AuditStateStore(endpoint ? localS3Client(endpoint) : new S3Client({}), bucket);
  return store;
}
