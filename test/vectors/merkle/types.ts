/**
 * The shapes of the vector files in this folder: written by generate.ts, read by
 * test/unit/lib/chain/merkle-vectors.test.ts. Hashes are lowercase hex; a case with `error`
 * is negative and says in `wrong` what is wrong with it.
 */

export interface InclusionCase {
  description: string;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  root: string;
  expectedProofLength?: number;
  error?: string;
  wrong?: string;
}

export interface ConsistencyCase {
  description: string;
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  proof: string[];
  expectedProofLength?: number;
  error?: string;
  wrong?: string;
}

export type LargeCase = ({ kind: "inclusion" } & InclusionCase) | ({ kind: "consistency" } & ConsistencyCase);
