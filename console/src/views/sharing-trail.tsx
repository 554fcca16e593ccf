import type { TrailAccess } from "../../../lib/protocol/sharing.js";
import { translator } from "../i18n/index.js";
import { sharing } from "../i18n/sharing.js";
import { EntryLink, EntryState, formatTime, ResultLabel, shortHash } from "./sharing-ui.js";

/** The access trail of the Sharing view: who asked, under which contract, when, and the answer; each row links to its entry. */

const t = translator(sharing);

export function TrailSection(props: { accesses: TrailAccess[]; truncated: boolean }) {
  return (
    <section aria-labelledby="trail-title" data-testid="trail">
      <h3 id="trail-title">{t("trail.title")}</h3>
      {props.truncated && <p role="note">{t("trail.truncated")}</p>}
      {props.accesses.length === 0 ? (
        <p>{t("trail.none")}</p>
      ) : (
        <table class="sharing-trail">
          <caption>{t("trail.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("trail.col.when")}</th>
              <th scope="col">{t("trail.col.asked")}</th>
              <th scope="col">{t("trail.col.provider")}</th>
              <th scope="col">{t("trail.col.contract")}</th>
              <th scope="col">{t("trail.col.fields")}</th>
              <th scope="col">{t("trail.col.result")}</th>
              <th scope="col">{t("trail.col.entry")}</th>
            </tr>
          </thead>
          <tbody>
            {props.accesses.map((a) => (
              <tr key={a.entry.id} data-testid="access" data-entry={a.entry.id}>
                <td>{formatTime(a.entry.envelope.receivedAt)}</td>
                <td>{a.consumer}</td>
                <td>{a.access.provider || t("unknownProvider")}</td>
                <td>
                  <code>{a.access.contract}</code>
                  {a.access.version && (
                    <>
                      {" "}
                      <code title={a.access.version}>{shortHash(a.access.version)}</code>
                    </>
                  )}
                </td>
                <td>
                  {a.access.fieldsTested.length > 0 ? a.access.fieldsTested.join(", ") : t("trail.noFields")}
                </td>
                <td>
                  <ResultLabel access={a.access} />
                </td>
                <td>
                  <EntryLink entry={a.entry} /> <EntryState entry={a.entry} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
