import type { ViewProps } from "./view.js";

/** Not built yet (issue 16). */
export function CitizenView(_props: ViewProps) {
  return <p>citizen</p>;
}
