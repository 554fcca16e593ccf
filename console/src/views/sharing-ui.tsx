import { useEffect, useState } from "preact/hooks";
import { type CryptoSuite, entryLeafHash, fromHex, toHex, verifyInclusion } from "#chain";
import type { TrailAccess } from "../../../lib/protocol/sharing.js";
import { ApiError } from "../api.js";
import { tc, translator } from "../i18n/index.js";
import { sharing } from "../i18n/sharing.js";
import { href } from "../router.js";

/**
 * What the Sharing and Citizen views share: loading an API answer, an access's answer in
 * words (and a symbol, never colour alone), the link to its entry, and the entry's
 * inclusion in its block, recomputed here from the envelope rather than taken from the server.
 */

const t = translator(sharing);

export type Loaded<T> =
  | { state: "loading" }
  | { state: "done"; value: T }
  | { state: "failed"; error: unknown };

/** Runs `load` once (per mount); the view re-mounts on identity or route changes. */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  // Loaded once per mount, by design: the view re-mounts on identity or route changes.
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setLoaded({ state: "done", value }),
      (error: unknown) => live && setLoaded({ state: "failed", error }),
    );
    return () => {
      live = false;
    };
  }, []);
  return loaded;
}

export function Failure({ error }: { error: unknown }) {
  const what =
    error instanceof ApiError
      ? `${error.code}: ${error.message}`
      : String((error as Error)?.message ?? error);
  return (
    <div role="alert" class="bad sharing-failure">
      <strong>✕ {tc("error.title")}</strong> <code>{what}</code>
    </div>
  );
}

/** "2026-03-01 09:30:12 UTC" from an RFC 3339 time: the same in every language and time zone. */
export function formatTime(rfc3339: string | undefined): string {
  if (!rfc3339) return "";
  return `${rfc3339.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC`;
}

export function shortHash(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

/** An access's answer as words and a symbol: ✓ yes, ○ no, ✕ refused (with its code). */
export function ResultLabel({ access }: { access: TrailAccess["access"] }) {
  const { result } = access;
  const symbol = result === "match" ? "✓" : result === "no-match" ? "○" : "✕";
  const text =
    result === "refused" ? t("result.refused", { code: access.refusal ?? "?" }) : t(`result.${result}`);
  return (
    <span class={`sharing-result sharing-result-${result}`} data-result={result}>
      <span aria-hidden="true">{symbol}</span> {text}
    </span>
  );
}

export function EntryLink({ entry }: { entry: TrailAccess["entry"] }) {
  return (
    <a
      href={href("entries", entry.id)}
      aria-label={t("entry.open", { id: entry.id })}
      data-testid="access-entry"
    >
      <code>{entry.id.slice(0, 12)}…</code>
    </a>
  );
}

export function EntryState({ entry }: { entry: TrailAccess["entry"] }) {
  return (
    <span class="sharing-entry-state">
      {entry.sealed ? t("entry.sealed", { height: entry.sealed.height }) : t("entry.pending")}
    </span>
  );
}

export type Inclusion =
  | { state: "pending" }
  | { state: "holds"; height: number; index: number; root: string }
  | { state: "broken"; reason: string };

/**
 * Whether the access entry is in its block, checked in this browser: its leaf hash
 * recomputed from its envelope (lib/chain entryLeafHash), then its RFC 6962 inclusion
 * proof folded up to the block header's root. That the header itself was signed by the
 * sealer is the entry view's check (#/entries/<id>), against the trust root the user loads.
 */
export function inclusionOf(suite: CryptoSuite, entry: TrailAccess["entry"]): Inclusion {
  const sealed = entry.sealed;
  if (!sealed) return { state: "pending" };
  try {
    const leaf = entryLeafHash(suite, entry.envelope);
    if (toHex(leaf) !== entry.leafHash)
      return { state: "broken", reason: "leaf hash does not match the envelope" };
    const header = sealed.block.header;
    verifyInclusion(suite, leaf, sealed.index, header.count, sealed.proof.map(fromHex), fromHex(header.root));
    return { state: "holds", height: header.height, index: sealed.index, root: header.root };
  } catch (e) {
    return { state: "broken", reason: (e as Error).message };
  }
}
