import type { MessagePair } from "./index.js";

/** Signing in on AWS (../aws/sign-in.tsx); its refusals' sentences are ../aws/refusals.ts. */
const en = {
  title: "Sign in",
  intro:
    "This console acts as your member with your member role's temporary AWS credentials: it signs each request with your member's KMS key and with AWS SigV4, in this browser.",
  member: "Your member",
  credentials: "Your member role's credentials (JSON)",
  credentialsHelp:
    "Paste what this prints: aws configure export-credentials --profile {profile} --format process",
  kmsCredentials: "Your signing role's credentials in your own account (JSON)",
  kmsCredentialsHelp:
    "Your member's key is in your own account: paste what this prints for the profile that assumes your member stack's SigningRoleArn: aws configure export-credentials --profile {profile}-signing --format process",
  kept: "Kept in this tab only (sessionStorage): closing the tab forgets them. They are never sent: only signatures made with them are.",
  submit: "Sign in",
  signingIn: "Signing in…",
  signedIn: "Signed in as {member};",
  expires: "credentials expire at {time} ({minutes} min left)",
  expired: "✕ credentials expired at {time}: sign out and sign in again with fresh ones",
  noExpiry: "long-term credentials, no expiry",
  signOut: "Sign out",
  footer: "On AWS: signing as your member with its KMS key and your role's credentials, in this browser",
} as const;

export const signin: MessagePair<typeof en> = {
  en,
  zh: {
    title: "登录",
    intro:
      "本控制台以您所属成员的身份、使用成员角色的临时 AWS 凭证工作：每个请求都在本浏览器内用成员的 KMS 密钥和 AWS SigV4 签名。",
    member: "您的成员",
    credentials: "成员角色的凭证（JSON）",
    credentialsHelp:
      "粘贴以下命令的输出：aws configure export-credentials --profile {profile} --format process",
    kmsCredentials: "您本账号内签名角色的凭证（JSON）",
    kmsCredentialsHelp:
      "您成员的密钥在您自己的账号中：粘贴扮演成员栈 SigningRoleArn 的配置文件的输出：aws configure export-credentials --profile {profile}-signing --format process",
    kept: "仅保存在本标签页（sessionStorage）中，关闭标签页即清除。凭证本身从不发送，只发送用它们做出的签名。",
    submit: "登录",
    signingIn: "正在登录…",
    signedIn: "已登录为 {member}；",
    expires: "凭证于 {time} 过期（剩余 {minutes} 分钟）",
    expired: "✕ 凭证已于 {time} 过期：请退出并用新的凭证重新登录",
    noExpiry: "长期凭证，无过期时间",
    signOut: "退出",
    footer: "AWS 模式：在本浏览器内以您的成员身份、用其 KMS 密钥和您角色的凭证签名",
  },
};
