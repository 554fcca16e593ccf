import type { Api } from "./api.js";
import type { Identity } from "./identity.js";
import { signal } from "./state.js";

/**
 * Who the page acts as: the API client of the chosen identity, and the identities it may
 * switch to (locally the demo members, on AWS the one signed in). app.tsx sets it; a view
 * that needs another identity than its own (the citizen's, which asks as the auditor) reads
 * it here rather than loading the identities again.
 */
export const session = signal<{ api: Api; identities: Identity[] } | undefined>(undefined);
