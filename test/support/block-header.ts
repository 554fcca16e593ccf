import { type BlockHeader, GENESIS_PREV } from "#chain";

/** A well-formed block header of one entry, block 1 unless `extra` says otherwise: for stores in unit tests. */
export function blockHeaderWith(extra: Partial<BlockHeader>): BlockHeader {
  return {
    v: 1,
    log: "zhixin.example/demo",
    height: 1,
    prev: GENESIS_PREV,
    root: "0".repeat(64),
    first: 0,
    count: 1,
    logSize: 1,
    logRoot: "0".repeat(64),
    sealedAt: "2026-11-21T08:00:02.000Z",
    sealer: "sealer/0a1b2c3d4e5f6071",
    ...extra,
  };
}
