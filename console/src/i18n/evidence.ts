import { KEY_HISTORY_CAVEAT } from "../../../lib/evidence/bundle.js";
import type { MessagePair } from "./index.js";

/** The evidence check's words (views/evidence.tsx); refusals are in views/evidence-refusals.ts. */
const en = {
  title: "Evidence check",
  intro:
    "Check an evidence bundle (from `zhixin evidence`, or GET /v1/entries/{id}/evidence) and, if you have it, the original file. Everything is checked here, in this browser, against the trust root you hold: nothing is sent to the server.",
  "root.held": "Checking against your trust root of {log} (file {name}).",
  "root.none":
    "No trust root is held: without one, nothing in a bundle can be believed. Load the trust root the consortium gave you (`zhixin trust export` writes it), here or at the top of the page.",
  "root.input": "Trust root file",
  "drop.label": "Drop the evidence bundle and the original file here, or choose them:",
  "drop.active": "Release to check the files here, in this browser.",
  "bundle.input": "Evidence bundle (.json)",
  "original.input": "Original file (optional)",
  "field.input": "Member of the record holding the file's SHA-256",
  chosen: "{name}, {bytes} bytes",
  remove: "Remove",
  "drop.noBundle":
    'None of the dropped files is an evidence bundle (a JSON file with "evidence": "zhixin/evidence/v1"). To check one anyway, choose it with the bundle input.',
  "drop.ignored": "Ignored: {names} (one bundle and one original file at a time).",
  "waiting.bundle": "Waiting for an evidence bundle.",
  "waiting.root": "Load a trust root to check the bundle.",
  checking: "Checking in this browser…",
  failed:
    "The check stopped unexpectedly ({message}): this is a fault of the console, not a verdict on the bundle. Reload the page and try again; if it happens again, report it with the bundle.",
  verified: "✔ Verified",
  refused: "✘ Refused",
  "sentence.file":
    "This file was recorded by {writer} at {receivedAt}, signed with key {keyId}, included in the log at position {index} of {size}, witnessed by {witnessed} of {witnesses} witnesses ({needed} required).",
  "sentence.record":
    "This record ({type}) was recorded by {writer} at {receivedAt}, signed with key {keyId}, included in the log at position {index} of {size}, witnessed by {witnessed} of {witnesses} witnesses ({needed} required).",
  "sentence.access":
    "This access entry ({type}) was recorded by {writer} at {receivedAt}, signed with key {keyId}, included in the log at position {index} of {size}, witnessed by {witnessed} of {witnesses} witnesses ({needed} required).",
  "file.matched": 'The file\'s SHA-256 {sha256} is the one the record holds in "{field}".',
  "file.none":
    "No original file was given: this proves the record. Add the file to check that it is the one recorded.",
  "bundle.holds":
    "The bundle itself verifies: it proves entry {id}, recorded by {writer} at {receivedAt}. It is the file that does not match the record.",
  "refusal.code": "Code",
  "refusal.detail": "Technical detail",
  "refusal.where": "Where in the bundle",
  "caveat.title": "What this does not prove",
  caveat: KEY_HISTORY_CAVEAT,
  "details.title": "What the bundle proves, in detail",
  "d.entry": "Entry",
  "d.type": "Type",
  "d.writer": "Recorded by",
  "d.receivedAt": "Received by the ledger (the ledger's clock)",
  "d.signedAt": "Signed by the writer (the writer's clock)",
  "d.position": "Position in the log",
  "d.positionValue": "{index} of the {size} entries under the checkpoint (counted from 0)",
  "d.root": "Log root at the checkpoint",
  "d.witnesses": "Witnesses that cosigned",
  "d.witnessAt": "{name}, at {time}",
  "d.key": "Signing key",
  "d.keyValue": "{keyId} ({alg}, in use from {validFrom})",
  "d.keyUntil": "in use until {time}",
  "d.keyCompromised": "reported compromised since {time}",
  "d.keyRecords": "Key records in the bundle",
  "d.digest": "Content digest (SHA-256)",
  "d.payload": "Recorded content",
  "d.withheld": "Withheld from this bundle: only its digest is proven.",
  "d.none": "none",
} as const;

export const evidence: MessagePair<typeof en> = {
  en,
  zh: {
    title: "证据核验",
    intro:
      "核验证据包（由 `zhixin evidence` 或 GET /v1/entries/{id}/evidence 获取），如有原始文件也一并核验。所有核验都在本浏览器中、依据您持有的信任根完成：不会向服务器发送任何内容。",
    "root.held": "正在依据您持有的 {log} 信任根（文件 {name}）核验。",
    "root.none":
      "尚未加载信任根：没有信任根，证据包中的任何内容都不可信。请在此处或页面顶部加载联盟提供给您的信任根（由 `zhixin trust export` 导出）。",
    "root.input": "信任根文件",
    "drop.label": "将证据包和原始文件拖放到此处，或选择文件：",
    "drop.active": "松开即可在本浏览器中核验这些文件。",
    "bundle.input": "证据包（.json）",
    "original.input": "原始文件（可选）",
    "field.input": "记录中保存文件 SHA-256 的字段",
    chosen: "{name}，{bytes} 字节",
    remove: "移除",
    "drop.noBundle":
      '拖放的文件中没有证据包（含 "evidence": "zhixin/evidence/v1" 的 JSON 文件）。如仍要核验某个文件，请通过“证据包”选择框选择它。',
    "drop.ignored": "已忽略：{names}（每次只核验一个证据包和一个原始文件）。",
    "waiting.bundle": "等待证据包。",
    "waiting.root": "请加载信任根以核验证据包。",
    checking: "正在本浏览器中核验…",
    failed:
      "核验意外中止（{message}）：这是控制台的故障，并非对证据包的判定。请刷新页面重试；如再次出现，请连同证据包一起报告。",
    verified: "✔ 核验通过",
    refused: "✘ 核验未通过",
    "sentence.file":
      "该文件由 {writer} 于 {receivedAt} 登记，使用密钥 {keyId} 签名，收录于账本第 {index} 号位置（共 {size} 条），经 {witnesses} 个见证方中的 {witnessed} 个见证（至少需要 {needed} 个）。",
    "sentence.record":
      "该记录（{type}）由 {writer} 于 {receivedAt} 登记，使用密钥 {keyId} 签名，收录于账本第 {index} 号位置（共 {size} 条），经 {witnesses} 个见证方中的 {witnessed} 个见证（至少需要 {needed} 个）。",
    "sentence.access":
      "该访问记录（{type}）由 {writer} 于 {receivedAt} 登记，使用密钥 {keyId} 签名，收录于账本第 {index} 号位置（共 {size} 条），经 {witnesses} 个见证方中的 {witnessed} 个见证（至少需要 {needed} 个）。",
    "file.matched": "该文件的 SHA-256 {sha256} 与记录字段“{field}”中登记的值一致。",
    "file.none": "未提供原始文件：以上证明的是该记录。添加文件即可核对它是否为当初登记的文件。",
    "bundle.holds":
      "证据包本身核验通过：它证明条目 {id} 由 {writer} 于 {receivedAt} 登记。不符的是该文件，而非记录。",
    "refusal.code": "错误代码",
    "refusal.detail": "技术细节",
    "refusal.where": "在证据包中的位置",
    "caveat.title": "本核验不能证明的内容",
    caveat:
      "签名密钥仅依据本证据包中的密钥记录判断。账本在该检查点之前持有、但本证据包未包含的密钥记录无法排除：该密钥此后的停用或吊销（或使其完成的联署），或其所有者更早的某个密钥——它会使本证据包中的首次添加不被计入。对账本的完整审计（在线或基于导出文件）可以看到全部密钥记录。",
    "details.title": "证据包所证明内容的详情",
    "d.entry": "条目",
    "d.type": "类型",
    "d.writer": "登记方",
    "d.receivedAt": "账本接收时间（账本时钟）",
    "d.signedAt": "写入方签名时间（写入方时钟）",
    "d.position": "在账本中的位置",
    "d.positionValue": "检查点下共 {size} 条中的第 {index} 号（从 0 起编号）",
    "d.root": "检查点处的账本根哈希",
    "d.witnesses": "已联署的见证方",
    "d.witnessAt": "{name}，于 {time}",
    "d.key": "签名密钥",
    "d.keyValue": "{keyId}（{alg}，自 {validFrom} 起启用）",
    "d.keyUntil": "启用至 {time}",
    "d.keyCompromised": "自 {time} 起被报告泄露",
    "d.keyRecords": "证据包中的密钥记录",
    "d.digest": "内容摘要（SHA-256）",
    "d.payload": "登记内容",
    "d.withheld": "本证据包未包含内容：仅证明其摘要。",
    "d.none": "无",
  },
};
