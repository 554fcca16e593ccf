import type { MessagePair } from "./index.js";

/** The citizen's own trail (views/citizen.tsx). */
const en = {
  title: "My trail: who asked about me",
  intro:
    "See every question a department asked the ledger about you: which department, under which sharing contract, when, and whether it was answered or refused — each with its proof.",
  "signin.title": "Demo sign-in (local mode only)",
  "signin.explain":
    "This local console does not check who you are: type a resident ID number or pick a demo citizen. On a real deployment you sign in through the government's identity service, which proves the ID is yours before anything is shown.",
  "signin.id": "Resident ID number",
  "signin.submit": "Show my trail",
  "signin.demo": "Demo citizens",
  "signin.pick": "Sign in as demo citizen {masked}",
  "signin.empty": "Type an ID number first.",
  "signin.tooLong": "An ID is at most 256 bytes.",
  signout: "Sign out",
  signedIn: "Signed in (demo) as the citizen with ID {masked}.",
  privacy:
    "Your ID is sent only in the body of one signed request (POST /v1/access), never in a web address, and is not kept by this page after you sign out.",
  onBehalf: "Asked on your behalf by {auditor}, the consortium's auditor.",
  noAuditor: "This consortium has no auditor identity to ask on your behalf.",
  portal:
    "On this deployment a citizen signs in at the government's citizen portal, which proves your ID with the identity provider you already use and shows you this trail. This console's demo sign-in exists only in local mode.",
  count: "{n} recorded question(s) about you.",
  none: "No department has asked the ledger about you.",
  truncated: "Only the newest 1,000 are shown.",
  caption: "Questions asked about you, oldest first",
  "col.when": "When",
  "col.who": "Department that asked",
  "col.contract": "Under which contract",
  "col.result": "Answer",
  "col.proof": "Proof",
  "contract.unknown": "no such contract (the question was refused)",
  "proof.holds": "Included in block {height} at position {index}: checked in this browser",
  "proof.pending": "Recorded; not sealed into a block yet",
  "proof.broken": "Proof does not hold: {reason}",
  "proof.open": "See the full proof",
} as const;

export const citizen: MessagePair<typeof en> = {
  en,
  zh: {
    title: "我的查询记录：谁查询过我",
    intro:
      "查看各部门向账本查询您信息的每一条记录：哪个部门、依据哪份共享合约、何时查询、获得答复还是被拒绝——每条都附有证明。",
    "signin.title": "演示登录（仅限本地模式）",
    "signin.explain":
      "本地控制台不核验您的身份：请输入身份证号，或选择一位演示市民。正式部署时，您需通过政府统一身份认证登录，证明该身份证号属于您本人后才会显示任何内容。",
    "signin.id": "身份证号",
    "signin.submit": "查看我的记录",
    "signin.demo": "演示市民",
    "signin.pick": "以演示市民 {masked} 登录",
    "signin.empty": "请先输入身份证号。",
    "signin.tooLong": "身份证号最多 256 字节。",
    signout: "退出登录",
    signedIn: "已以身份证号为 {masked} 的市民身份（演示）登录。",
    privacy:
      "您的身份证号只在一次签名请求（POST /v1/access）的正文中发送，绝不出现在网址中；退出登录后本页面不再保留。",
    onBehalf: "由联盟审计方 {auditor} 代您查询。",
    noAuditor: "本联盟没有可代您查询的审计方身份。",
    portal:
      "在本部署中，市民应通过政府的市民服务门户登录：门户用您已在使用的身份认证服务核实身份证号后向您展示本记录。本控制台的演示登录仅在本地模式下提供。",
    count: "共有 {n} 条关于您的查询记录。",
    none: "尚无部门向账本查询过您。",
    truncated: "仅显示最近 1,000 条。",
    caption: "关于您的查询，按时间先后",
    "col.when": "时间",
    "col.who": "查询部门",
    "col.contract": "依据合约",
    "col.result": "结果",
    "col.proof": "证明",
    "contract.unknown": "无此合约（该查询已被拒绝）",
    "proof.holds": "已收录于区块 {height} 第 {index} 位：已在本浏览器中核验",
    "proof.pending": "已记录，尚未封入区块",
    "proof.broken": "证明不成立：{reason}",
    "proof.open": "查看完整证明",
  },
};
