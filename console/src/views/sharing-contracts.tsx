import type { ContractVersion, ContractView } from "../../../lib/protocol/contracts.js";
import { translator } from "../i18n/index.js";
import { sharing } from "../i18n/sharing.js";
import { href } from "../router.js";
import { formatTime, shortHash } from "./sharing-ui.js";

/** The contracts of the Sharing view, grouped proposed / in effect / revoked, each with its version history. */

const t = translator(sharing);

export type ContractGroup = "effective" | "proposed" | "inactive" | "revoked";
const GROUPS: readonly ContractGroup[] = ["effective", "proposed", "inactive", "revoked"];
const SYMBOL: Record<ContractGroup, string> = { effective: "✓", proposed: "…", inactive: "○", revoked: "✕" };

/** Where a contract stands now: the version in effect, else why not (revoked, awaiting approval, out of its dates). */
export function groupOf(c: ContractView): ContractGroup {
  if (c.effective.version !== null) return "effective";
  const newest = c.versions[c.versions.length - 1];
  if (newest?.status === "revoked") return "revoked";
  if (c.versions.some((v) => v.status === "approved")) return "inactive";
  return "proposed";
}

export function ContractsSection(props: { contracts: ContractView[]; truncated: boolean; dept?: string }) {
  const { contracts } = props;
  return (
    <section aria-labelledby="contracts-title" data-testid="contracts">
      <h3 id="contracts-title">{t("contracts.title")}</h3>
      {contracts.length === 0 ? (
        <p>{props.dept ? t("contracts.none", { dept: props.dept }) : t("contracts.noneAll")}</p>
      ) : (
        <p>{t("contracts.count", { n: contracts.length })}</p>
      )}
      {props.truncated && <p role="note">{t("contracts.truncated")}</p>}
      {GROUPS.map((g) => {
        const members = contracts.filter((c) => groupOf(c) === g);
        if (members.length === 0) return null;
        return (
          <section key={g} class={`sharing-group sharing-group-${g}`} data-group={g}>
            <h4>
              <span aria-hidden="true">{SYMBOL[g]}</span> {t(`group.${g}`)} ({members.length})
            </h4>
            {members.map((c) => (
              <ContractCard key={c.id} contract={c} />
            ))}
          </section>
        );
      })}
    </section>
  );
}

function ContractCard({ contract: c }: { contract: ContractView }) {
  const newest = c.versions[c.versions.length - 1];
  return (
    <article
      class="sharing-contract"
      data-testid="contract"
      data-contract={c.id}
      aria-labelledby={`c-${c.id}`}
    >
      <h5 id={`c-${c.id}`}>
        <code>{c.id}</code>
      </h5>
      <p>
        {t("contract.parties", { provider: c.provider, consumer: c.consumer })}
        {newest && (
          <>
            {" · "}
            {t("contract.type")}: <code>{newest.doc.type}</code>
          </>
        )}
      </p>
      <p data-testid="contract-effective">
        {c.effective.version !== null
          ? t("contract.effective", { version: shortHash(c.effective.version) })
          : t("contract.notEffective", { reason: c.effective.reason })}
        {c.revokedAt && <> · {t("contract.revokedAt", { time: formatTime(c.revokedAt) })}</>}
      </p>
      <table class="sharing-versions" data-testid="versions">
        <caption>{t("contract.history", { id: c.id })}</caption>
        <thead>
          <tr>
            <th scope="col">{t("version.col.version")}</th>
            <th scope="col">{t("version.col.status")}</th>
            <th scope="col">{t("version.col.proposed")}</th>
            <th scope="col">{t("version.col.approved")}</th>
            <th scope="col">{t("version.col.document")}</th>
          </tr>
        </thead>
        <tbody>
          {c.versions.map((v) => (
            <VersionRow key={v.version} version={v} />
          ))}
        </tbody>
      </table>
    </article>
  );
}

function VersionRow({ version: v }: { version: ContractVersion }) {
  return (
    <tr data-testid="version" data-status={v.status}>
      <td>
        <code title={v.version}>{shortHash(v.version)}</code>
      </td>
      <td>{t(`status.${v.status}`)}</td>
      <td>
        {t("version.by", { who: v.proposedBy, time: formatTime(v.proposedAt) })}{" "}
        <a href={href("entries", v.proposeEntry)} aria-label={t("entry.open", { id: v.proposeEntry })}>
          {t("version.entry")}
        </a>
      </td>
      <td>
        {v.approvedBy && v.approveEntry ? (
          <>
            {t("version.by", { who: v.approvedBy, time: formatTime(v.approvedAt) })}{" "}
            <a href={href("entries", v.approveEntry)} aria-label={t("entry.open", { id: v.approveEntry })}>
              {t("version.entry")}
            </a>
          </>
        ) : (
          t("version.notApproved")
        )}
      </td>
      <td>
        <details>
          <summary>{t("doc.show")}</summary>
          <dl class="sharing-doc">
            <dt>{t("doc.purpose")}</dt>
            <dd>{v.doc.purpose}</dd>
            <dt>{t("doc.share")}</dt>
            <dd>{t(`share.${v.doc.share}`)}</dd>
            {v.doc.match && (
              <>
                <dt>{t("doc.match")}</dt>
                <dd>{v.doc.match.join(", ")}</dd>
              </>
            )}
            {v.doc.fields && (
              <>
                <dt>{t("doc.fields")}</dt>
                <dd>{v.doc.fields.join(", ")}</dd>
              </>
            )}
            <dt>{t("doc.valid")}</dt>
            <dd>{t("doc.validRange", { from: v.doc.validFrom, until: v.doc.validUntil })}</dd>
            <dt>{t("doc.rate")}</dt>
            <dd>{t("doc.perMinute", { n: v.doc.rateLimit.perMinute })}</dd>
          </dl>
          <p>{t("doc.json")}</p>
          <pre>{JSON.stringify(v.doc, null, 2)}</pre>
        </details>
      </td>
    </tr>
  );
}
