import type { ContractList } from "../../../lib/protocol/contracts.js";
import type { AccessList } from "../../../lib/protocol/sharing.js";
import { lang, translator } from "../i18n/index.js";
import { sharing } from "../i18n/sharing.js";
import { useSignal } from "../state.js";
import { ContractsSection } from "./sharing-contracts.js";
import { TrailSection } from "./sharing-trail.js";
import { Failure, useLoad } from "./sharing-ui.js";
import type { ViewProps } from "./view.js";
import "./sharing.css";

/**
 * #/sharing: a department's contracts (proposed, in effect, revoked, each with its version
 * history) and the access trail of its records; an auditor's view of all of them. Two
 * public routes, the CLI's `zhixin contract list` and `zhixin access --list`:
 * GET /v1/contracts and GET /v1/accesses (docs/API.md). The server decides what the
 * signing identity may see; the page shows what it is given.
 */

const t = translator(sharing);

export function SharingView({ api }: ViewProps) {
  useSignal(lang);
  const contracts = useLoad(() => api.get<ContractList>("/v1/contracts"));
  const accesses = useLoad(() => api.get<AccessList>("/v1/accesses"));
  const { identity } = api;
  const dept = identity.role === "department" ? identity.id : undefined;
  return (
    <section class="sharing" aria-labelledby="sharing-title">
      <h2 id="sharing-title">{t("title")}</h2>
      <p>{dept ? t("intro.department", { dept }) : t("intro.auditor")}</p>
      {contracts.state === "loading" && <p aria-busy="true">…</p>}
      {contracts.state === "failed" && <Failure error={contracts.error} />}
      {contracts.state === "done" && (
        <ContractsSection
          contracts={contracts.value.contracts}
          truncated={contracts.value.truncated}
          {...(dept ? { dept } : {})}
        />
      )}
      {accesses.state === "loading" && <p aria-busy="true">…</p>}
      {accesses.state === "failed" && <Failure error={accesses.error} />}
      {accesses.state === "done" && (
        <TrailSection accesses={accesses.value.accesses} truncated={accesses.value.truncated} />
      )}
    </section>
  );
}
