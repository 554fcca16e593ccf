import { useState } from "preact/hooks";
import { witnessNames } from "../../lib/witness/index.js";
import { tc } from "./i18n/index.js";
import { useSignal } from "./state.js";
import { forgetTrustRoot, holdChosenTrustRoot, trustRoot } from "./trust.js";

/** The header's trust-root control: which root the page checks signatures against. */
export function TrustControl() {
  const held = useSignal(trustRoot);
  const [error, setError] = useState<string | undefined>();
  return (
    <div class="trust" data-testid="trust-root">
      {held ? (
        <span>
          {tc("trust.held", {
            log: held.root.log,
            sealers: held.root.sealers.length,
            witnesses: witnessNames(held.root.witnesses).length,
            quorum: held.root.quorum,
          })}{" "}
          <button type="button" class="secondary" onClick={() => forgetTrustRoot()}>
            {tc("trust.forget")}
          </button>
        </span>
      ) : (
        <label>
          {tc("trust.load")}{" "}
          <input
            type="file"
            accept=".json,application/json"
            data-testid="trust-root-file"
            onChange={async (e) => {
              try {
                if (await holdChosenTrustRoot(e.currentTarget as HTMLInputElement)) setError(undefined);
              } catch (err) {
                setError((err as Error).message);
              }
            }}
          />
        </label>
      )}
      {error && (
        <span role="alert" class="bad">
          {" "}
          {tc("trust.invalid")}: {error}
        </span>
      )}
    </div>
  );
}
