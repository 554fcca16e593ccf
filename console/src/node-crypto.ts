import { sha256 } from "@noble/hashes/sha2.js";

/**
 * The one part of node:crypto that lib/ reaches in the browser: createHash("sha256") for a
 * request's Content-Digest (lib/http-signature/content-digest.ts). vite.config.ts maps
 * node:crypto here; anything else lib/ asked of it would fail the build, not run wrong.
 */
export function createHash(algorithm: string) {
  if (algorithm !== "sha256") throw new Error(`console: no ${algorithm} in the browser build`);
  const h = sha256.create();
  const hash = {
    update(bytes: Uint8Array) {
      h.update(bytes);
      return hash;
    },
    digest: () => h.digest(),
  };
  return hash;
}
