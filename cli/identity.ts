import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { CryptoSuite } from "#chain";
import { LocalSigner } from "../lib/crypto/local-signer.js";
import type { Signer } from "../lib/crypto/signer.js";
import { keyFile } from "../lib/local-home.js";

/**
 * Who the CLI acts as: a consortium member whose private key is a local key file, laid
 * out as local mode writes them (local/keys.ts):
 *   $ZHIXIN_HOME/keys/<member>.pem   key id "<member>/<16 hex of H(spki)>", derived from
 *                                    the key (docs/design/key-history.md §1)
 */

export class IdentityError extends Error {
  override readonly name = "IdentityError";
}

export interface Identity {
  department: string;
  signer: Signer;
  /** The ledger's crypto suite, whose hash names the key and the batch roots it signs. */
  suite: CryptoSuite;
}

export async function loadIdentity(suite: CryptoSuite, home: string, member: string): Promise<Identity> {
  const path = keyFile(home, member);
  if (!existsSync(path)) {
    throw new IdentityError(
      `no key for ${member}: ${path} does not exist — \`npm start\` generates local keys in ZHIXIN_HOME (${home})`,
    );
  }
  try {
    return {
      department: member,
      suite,
      signer: LocalSigner.fromPemForOwner(suite, await readFile(path, "utf8"), member, undefined, path),
    };
  } catch (e) {
    throw new IdentityError(`cannot use the key for ${member} (${path}): ${(e as Error).message}`);
  }
}
