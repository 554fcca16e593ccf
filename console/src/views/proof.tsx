import { entry as messages } from "../i18n/entry.js";
import { lang, translator } from "../i18n/index.js";
import { useSignal } from "../state.js";
import { firstBreak, type ProofStep, type StepKind } from "./proof-steps.js";
import "./ledger.css";

const t = translator(messages);

/**
 * An entry's proof drawn as a chain of boxes from the entry up to the roots (proof-steps.ts
 * computes it): each box a node with its recomputed and committed hash and a word and a
 * symbol for its state, the proof's sibling hash beside it on the side it is hashed from.
 */

const GROUP: Record<StepKind, "entry" | "block" | "log"> = {
  payload: "entry",
  leaf: "entry",
  node: "block",
  "block-root": "block",
  "block-hash": "block",
  "block-signature": "block",
  "log-node": "log",
  "log-root": "log",
  checkpoint: "log",
};

export interface ProofContext {
  /** Position in the block, for the leaf's sentence. */
  index?: number;
  height?: number;
  /** The published checkpoint's size, for the log root's sentence. */
  logSize?: number;
  /** Whether a trust root was held when the signatures were checked. */
  trusted: boolean;
}

export function ProofDiagram(props: { steps: ProofStep[]; context: ProofContext }) {
  useSignal(lang);
  const { steps, context } = props;
  const broken = firstBreak(steps);
  const sealed = steps.some((s) => s.kind === "block-hash");
  const because = (r: string) => steps.some((s) => s.reason === r);
  const summary = broken
    ? t("proof.breaks", { step: stepTitle(broken) })
    : !sealed
      ? t("proof.holdsPending")
      : because("no-trust-root")
        ? t("proof.holdsUnchecked")
        : because("unpublished")
          ? t("proof.holdsUnpublished", { height: context.height ?? "" })
          : t("proof.holds", { height: context.height ?? "" });
  let group: string | undefined;
  return (
    <div data-testid="proof">
      <p
        class={`proof-summary ${broken ? "bad" : "good"}`}
        role="status"
        data-testid="proof-summary"
        data-state={broken ? "breaks" : "holds"}
        data-first-break={broken?.kind}
      >
        {summary}
      </p>
      <p class="chart-summary">{t("proof.legend")}</p>
      <ol class="proof">
        {steps.flatMap((s, i) => {
          const g = GROUP[s.kind];
          const items = [];
          if (g !== group) {
            group = g;
            items.push(
              <li key={`g${i}`} class="group-title">
                {g === "entry"
                  ? t("proof.entry")
                  : g === "block"
                    ? t("proof.block", { height: context.height ?? "" })
                    : t("proof.log")}
              </li>,
            );
          }
          items.push(<Step key={i} step={s} context={context} />);
          return items;
        })}
      </ol>
    </div>
  );
}

function Step({ step, context }: { step: ProofStep; context: ProofContext }) {
  const stateWord = t(`state.${step.state}`);
  return (
    <li
      class="step"
      data-testid="proof-step"
      data-kind={step.kind}
      data-state={step.state}
      data-level={step.level}
    >
      {step.sibling && (
        <div class={`sibling ${step.sibling.side}`}>
          {t("sibling")} ({t(`side.${step.sibling.side}`)})<br />
          <code class="hash" title={step.sibling.hash}>
            {step.sibling.hash.slice(0, 16)}…
          </code>
        </div>
      )}
      <div class="node">
        <div>
          <strong>{stepTitle(step)}</strong>{" "}
          <span
            class={`badge ${step.state === "holds" ? "good" : step.state === "breaks" ? "bad" : ""}`}
            data-testid="step-state"
          >
            {stateWord}
          </span>
        </div>
        <div class="what">{stepWhat(step, context)}</div>
        {(step.computed !== undefined || step.expected !== undefined) && step.state !== "not-reached" && (
          <div class="hashes">
            {step.computed !== undefined && (
              <>
                <span>{t("computed")}</span>
                <code class="hash" data-testid="computed">
                  {step.computed}
                </code>
              </>
            )}
            {step.expected !== undefined && (
              <>
                <span>{t("expected")}</span>
                <code class="hash" data-testid="expected">
                  {step.expected}
                </code>
              </>
            )}
          </div>
        )}
        {step.reason !== undefined && step.state !== "not-reached" && (
          <div class="what" data-testid="step-reason">
            {isKnownReason(step.reason) ? t(`reason.${step.reason}`) : step.reason}
          </div>
        )}
      </div>
    </li>
  );
}

const REASONS = ["withheld", "no-trust-root", "pending", "unpublished", "not-in-block"] as const;
function isKnownReason(r: string): r is (typeof REASONS)[number] {
  return (REASONS as readonly string[]).includes(r);
}

function stepTitle(step: ProofStep): string {
  switch (step.kind) {
    case "node":
    case "log-node":
      return t(`step.${step.kind}`, { level: step.level ?? "" });
    default:
      return t(`step.${step.kind}`);
  }
}

function stepWhat(step: ProofStep, context: ProofContext): string {
  switch (step.kind) {
    case "leaf":
      return context.index === undefined
        ? t("step.leaf.pending")
        : t("step.leaf.what", { index: context.index });
    case "node":
    case "log-node":
      return t("step.node.what", { side: t(`side.${step.sibling?.side ?? "left"}`) });
    case "log-root":
      return t("step.log-root.what", { size: context.logSize ?? "" });
    default:
      return t(`step.${step.kind}.what`);
  }
}
