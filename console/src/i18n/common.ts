import type { MessagePair } from "./index.js";

const en = {
  title: "Zhixin ledger console",
  "nav.overview": "Overview",
  "nav.blocks": "Blocks and entries",
  "nav.evidence": "Evidence check",
  "nav.sharing": "Sharing",
  "nav.citizen": "My trail (citizens)",
  "identity.label": "Acting as",
  "identity.department": "department",
  "identity.auditor": "auditor",
  "identity.citizen": "Acting as a citizen (demo sign-in below; the page asks as the consortium's auditor)",
  "identity.local": "Local mode: demo members' keys, signing in this browser",
  "lang.label": "Language",
  loading: "Loading…",
  "error.title": "The ledger refused or could not answer",
  "error.noIdentities":
    "No identity to sign requests with: the ledger views need the demo members of `npm start`, or signing in with a member role on AWS. The evidence check below needs none: it verifies in this browser.",
  skip: "Skip to content",
  retry: "Retry",
  "trust.load": "Trust root (from `zhixin trust export`):",
  "trust.held":
    "Checking against trust root of {log}: {sealers} sealer key(s), {witnesses} witnesses, quorum {quorum}.",
  "trust.forget": "Forget",
  "trust.invalid": "Not a trust root",
  "trust.none": "Signatures not checked: load a trust root (top of the page).",
} as const;

export const common: MessagePair<typeof en> = {
  en,
  zh: {
    title: "智信账本控制台",
    "nav.overview": "总览",
    "nav.blocks": "区块与条目",
    "nav.evidence": "证据核验",
    "nav.sharing": "数据共享",
    "nav.citizen": "我的查询记录（市民）",
    "identity.label": "当前身份",
    "identity.department": "部门",
    "identity.auditor": "审计方",
    "identity.citizen": "当前身份：市民（下方为演示登录；本页以联盟审计方身份代为查询）",
    "identity.local": "本地模式：使用演示成员的密钥，在本浏览器内签名",
    "lang.label": "语言",
    loading: "加载中…",
    "error.title": "账本拒绝了请求或无法应答",
    "error.noIdentities":
      "没有可用于签名请求的身份：账本视图需要 `npm start` 的演示成员，或在 AWS 上以成员角色登录。下方的证据核验无需身份，完全在本浏览器内完成。",
    skip: "跳到正文",
    retry: "重试",
    "trust.load": "信任根（由 `zhixin trust export` 导出）：",
    "trust.held":
      "正在依据 {log} 的信任根核验：{sealers} 个出块密钥，{witnesses} 个见证方，法定数 {quorum}。",
    "trust.forget": "移除",
    "trust.invalid": "不是有效的信任根",
    "trust.none": "签名未核验：请先在页面顶部加载信任根。",
  },
};
