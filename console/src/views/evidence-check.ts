import {
  type EvidenceChecks,
  type VerifiedEvidence,
  verifyEvidenceBundle,
} from "../../../lib/evidence/bundle.js";
import { checkFileDigest } from "../../../lib/evidence/bundle-file.js";
import { EvidenceError, type EvidenceErrorCode } from "../../../lib/evidence/errors.js";
import type { TrustRoot } from "../../../lib/evidence/trust-root.js";

/**
 * The evidence view's check, away from the page: lib/evidence's offline verifier
 * (docs/formats/evidence.md §3) with WebCrypto for every signature, then, given the
 * original file, §5's file check — what `zhixin verify --bundle --file` does, in the
 * browser. Nothing here touches the network: the bundle, the file and the trust root are
 * the user's own.
 */

/**
 * Runs a synchronous verifier with signature checks answered: the page passes
 * signatures.ts's withWebCrypto (passed in rather than imported, so this file stays free
 * of the DOM's types and its test runs in Node, with Node's WebCrypto).
 */
export type WithSignatureChecks = <T>(
  verify: (checks: EvidenceChecks) => T,
  suite: TrustRoot["suite"],
) => Promise<T>;

export type EvidenceOutcome =
  | {
      verdict: "verified";
      proven: VerifiedEvidence;
      /** The file's check (§5), or null when no file was given. */
      file: { field: string; sha256: string } | null;
    }
  | {
      verdict: "refused";
      code: EvidenceErrorCode;
      /** lib/evidence's technical message, and the JSON Pointer of what failed, if any. */
      message: string;
      pointer: string | null;
      /** What the bundle proves when only the file check failed (§5); null when the bundle itself failed. */
      proven: VerifiedEvidence | null;
    };

/**
 * Checks `bundle` against `root` (with the root's quorum of witnesses unless
 * `minWitnesses` says otherwise) and, if given, `file` against the record's member
 * `field`. A refusal by lib/evidence is an outcome; anything else (a bug, or a
 * minWitnesses outside the root's witnesses) is thrown.
 */
export async function checkEvidence(
  bundle: Uint8Array | string,
  root: TrustRoot,
  withChecks: WithSignatureChecks,
  options: { file?: Uint8Array; field?: string; minWitnesses?: number } = {},
): Promise<EvidenceOutcome> {
  const { file, field = "sha256", minWitnesses } = options;
  let proven: VerifiedEvidence;
  try {
    proven = await withChecks(
      (checks) =>
        verifyEvidenceBundle(bundle, root, checks, minWitnesses === undefined ? {} : { minWitnesses }),
      root.suite,
    );
  } catch (e) {
    return refusal(e, null);
  }
  if (file === undefined) return { verdict: "verified", proven, file: null };
  try {
    return { verdict: "verified", proven, file: checkFileDigest(file, proven, field) };
  } catch (e) {
    return refusal(e, proven);
  }
}

function refusal(e: unknown, proven: VerifiedEvidence | null): EvidenceOutcome {
  if (!(e instanceof EvidenceError)) throw e;
  return { verdict: "refused", code: e.code, message: e.message, pointer: e.pointer ?? null, proven };
}

export interface DroppedFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * Which dropped file is the bundle and which the original: a bundle is a JSON object
 * whose `evidence` member names an evidence format (§1); any other file is an original.
 * One of each is taken, in the order dropped; the rest are `ignored`. A damaged bundle
 * that no longer reads as one is an original here: the bundle input checks any file.
 */
export function sortDropped(files: DroppedFile[]): {
  bundle?: DroppedFile;
  original?: DroppedFile;
  ignored: DroppedFile[];
} {
  const bundles = files.filter((f) => looksLikeBundle(f.bytes));
  const originals = files.filter((f) => !bundles.includes(f));
  const [bundle, ...moreBundles] = bundles;
  const [original, ...moreOriginals] = originals;
  return {
    ...(bundle ? { bundle } : {}),
    ...(original ? { original } : {}),
    ignored: [...moreBundles, ...moreOriginals],
  };
}

export function looksLikeBundle(bytes: Uint8Array): boolean {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return (
      typeof value === "object" &&
      value !== null &&
      typeof (value as { evidence?: unknown }).evidence === "string" &&
      (value as { evidence: string }).evidence.startsWith("zhixin/evidence/")
    );
  } catch {
    return false;
  }
}
