import type { EvidenceErrorCode } from "../../../lib/evidence/errors.js";

/**
 * What each of lib/evidence's refusals (docs/formats/evidence.md §6) means, in plain
 * Chinese and English, and what to do about it: the evidence view shows this beside the
 * code and the verifier's own technical message. The readers are judges and clerks, not
 * engineers; the CLI's sentences (cli/commands/evidence.ts) say the same in English.
 * A Record over the closed set of codes, so a new code without its sentences is a type
 * error (and test/unit/console/evidence-refusals.test.ts checks every one at run time).
 */
export const EVIDENCE_REFUSALS: Record<EvidenceErrorCode, { en: string; zh: string }> = {
  TRUST_ROOT_INVALID: {
    en: "This file is not a trust root. Load the trust root file the consortium gave you (`zhixin trust export` writes one).",
    zh: "该文件不是信任根。请加载联盟提供给您的信任根文件（由 `zhixin trust export` 导出）。",
  },
  BUNDLE_INVALID: {
    en: "The bundle file is damaged, or is not an evidence bundle. Ask for the bundle again (`zhixin evidence <entry id>`) and do not edit it.",
    zh: "证据包文件已损坏，或不是证据包。请重新获取证据包（`zhixin evidence <条目编号>`），且不要修改它。",
  },
  CHECKPOINT_UNTRUSTED: {
    en: "The bundle is not from the log your trust root names: its checkpoint is not signed by that log's sealer, so nothing in it can be believed. Check that you loaded the right consortium's trust root; if you did, the bundle is not genuine.",
    zh: "该证据包并非来自您的信任根所指定的账本：其检查点没有该账本出块方的签名，因此其中任何内容都不可信。请确认加载的是正确联盟的信任根；若无误，则该证据包不是真实的。",
  },
  WITNESS_SIGNATURE_INVALID: {
    en: "A witness signature in the bundle has been changed or forged. Do not rely on this bundle; ask the ledger for it again.",
    zh: "证据包中某个见证方的签名已被篡改或伪造。请勿采信此证据包；请向账本重新获取。",
  },
  CHECKPOINT_UNWITNESSED: {
    en: "Too few witnesses signed the bundle's copy of the log: it may be a forked copy that the other members never saw. Ask for a bundle under a later checkpoint that enough witnesses have signed.",
    zh: "为该证据包中账本副本签名的见证方不足：它可能是其他成员从未见过的分叉副本。请索取基于更新的、已有足够见证方签名的检查点的证据包。",
  },
  INCLUSION_PROOF_INVALID: {
    en: "The bundle does not prove that the record is in the log. Do not rely on it; ask for the bundle again.",
    zh: "该证据包未能证明记录在账本之中。请勿采信；请重新获取证据包。",
  },
  ENTRY_BINDING_INVALID: {
    en: "The record in the bundle is not what its writer signed: it has been altered. Do not rely on it; ask for the bundle again.",
    zh: "证据包中的记录与写入方签名的内容不一致：已被改动。请勿采信；请重新获取证据包。",
  },
  RECEIVED_AT_INVALID: {
    en: "The time the ledger gives for the record is too far from the time its writer signed it. Do not rely on the bundle; report it to the consortium's auditor.",
    zh: "账本给出的记录接收时间与写入方签名的时间相差过大。请勿采信此证据包；请报告联盟审计方。",
  },
  PAYLOAD_MISMATCH: {
    en: "The record's content in the bundle is not the content its writer signed. Do not rely on it; ask for the bundle again.",
    zh: "证据包中的记录内容不是写入方签名的内容。请勿采信；请重新获取证据包。",
  },
  KEY_HISTORY_INVALID: {
    en: "The key records in the bundle are not valid, so the key that signed the record cannot be established. If your trust root is old, get a new one (`zhixin trust export`); otherwise ask for the bundle again.",
    zh: "证据包中的密钥记录无效，无法确认签署该记录的密钥。如果您的信任根较旧，请获取新的信任根（`zhixin trust export`）；否则请重新获取证据包。",
  },
  KEY_UNKNOWN: {
    en: "The bundle does not show that the key which signed the record belongs to its writer. Ask for the bundle again: the ledger puts the key's records in it.",
    zh: "证据包未能表明签署该记录的密钥属于其写入方。请重新获取证据包：账本会在其中附上该密钥的记录。",
  },
  KEY_REVOKED: {
    en: "The key that signed the record had been reported stolen or compromised before the record was made: the record may not be its writer's. Ask the writer's department what it recorded.",
    zh: "签署该记录的密钥在记录产生之前已被报告失窃或泄露：该记录可能并非写入方所为。请向写入方部门核实其登记内容。",
  },
  KEY_NOT_VALID_AT_TIME: {
    en: "The key that signed the record was not in use when the record was made (not yet added, or already retired). Ask the writer's department what it recorded.",
    zh: "记录产生时，签署它的密钥不在有效期内（尚未添加或已停用）。请向写入方部门核实其登记内容。",
  },
  ENTRY_SIGNATURE_INVALID: {
    en: "The writer's signature on the record is not valid. Do not rely on the bundle; ask for it again.",
    zh: "写入方对该记录的签名无效。请勿采信此证据包；请重新获取。",
  },
  PAYLOAD_WITHHELD: {
    en: "The bundle does not carry the record's content, so the file cannot be checked against it. Ask for the bundle as someone allowed to read the record (its writer).",
    zh: "证据包不含记录内容，因此无法据此核对文件。请以有权读取该记录的身份（其写入方）获取证据包。",
  },
  DIGEST_FIELD_INVALID: {
    en: "The record holds no SHA-256 in the member named above. Name the member that holds the file's SHA-256 (for evidence.digest records: sha256).",
    zh: "记录中上述字段没有 SHA-256 值。请填写保存文件 SHA-256 的字段名（evidence.digest 记录为 sha256）。",
  },
  FILE_MISMATCH: {
    en: "This file is NOT the one that was recorded: its SHA-256 differs from the recorded one. Check that you chose the right file; a file changed in any way does not match.",
    zh: "该文件不是当初登记的文件：其 SHA-256 与登记值不同。请确认选择了正确的文件；文件有任何改动都不会匹配。",
  },
};
