import type { ViewProps } from "./view.js";

/** Not built yet (issue 16). */
export function EvidenceView(_props: ViewProps) {
  return <p>evidence</p>;
}
