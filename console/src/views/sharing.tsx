import type { ViewProps } from "./view.js";

/** Not built yet (issue 16). */
export function SharingView(_props: ViewProps) {
  return <p>sharing</p>;
}
