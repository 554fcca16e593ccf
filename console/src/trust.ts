import { parseTrustRoot, type TrustRoot } from "../../lib/evidence/trust-root.js";
import { signal } from "./state.js";

/**
 * The trust root the user holds (docs/formats/trust-root.md), loaded from their own file —
 * `zhixin trust export` writes it — and never from the server whose answers it checks. Kept
 * in this browser (localStorage) until cleared. Without one, the console checks what
 * needs no key (hashes, Merkle paths) and says that signatures are not checked.
 */

export interface HeldTrustRoot {
  root: TrustRoot;
  /** The file's name, as the user chose it. */
  name: string;
  text: string;
}

const STORAGE_KEY = "zhixin.trustRoot";

export const trustRoot = signal<HeldTrustRoot | undefined>(restore());

function restore(): HeldTrustRoot | undefined {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!saved) return undefined;
    const { name, text } = JSON.parse(saved) as { name: string; text: string };
    return { root: parseTrustRoot(text), name, text };
  } catch {
    return undefined;
  }
}

/** Parses and holds a trust root; throws lib/evidence's EvidenceError (TRUST_ROOT_INVALID). */
export function holdTrustRoot(text: string, name: string): HeldTrustRoot {
  const held = { root: parseTrustRoot(text), name, text };
  globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify({ name, text }));
  trustRoot.set(held);
  return held;
}

/**
 * Holds the trust root in the file a file input chose: undefined when none was chosen;
 * throws as holdTrustRoot. The header's control and the evidence check both load it so.
 */
export async function holdChosenTrustRoot(input: HTMLInputElement): Promise<HeldTrustRoot | undefined> {
  const file = input.files?.[0];
  return file ? holdTrustRoot(await file.text(), file.name) : undefined;
}

export function forgetTrustRoot(): void {
  globalThis.localStorage?.removeItem(STORAGE_KEY);
  trustRoot.set(undefined);
}
