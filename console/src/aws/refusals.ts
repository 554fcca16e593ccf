import type { SignInErrorCode } from "./errors.js";

/**
 * What each refusal of signing in (./errors.ts) means and what to do about it, in Chinese
 * and English; `{name}` is filled from the error's values. A Record over the closed set of
 * codes, so a new code without its sentences is a type error.
 */
export const SIGN_IN_REFUSALS: Record<SignInErrorCode, { en: string; zh: string }> = {
  CONFIG_INVALID: {
    en: "This console's config.json is not what the stack publishes ({detail}): ask the operator to redeploy the stack (cdk deploy).",
    zh: "本控制台的 config.json 与部署栈发布的不符（{detail}）：请运维人员重新部署（cdk deploy）。",
  },
  CREDENTIALS_NOT_JSON: {
    en: "That is not the JSON of aws configure export-credentials --format process: run the command again and paste all it prints, braces included.",
    zh: "这不是 aws configure export-credentials --format process 输出的 JSON：请重新运行该命令，并完整粘贴其输出（包括花括号）。",
  },
  CREDENTIALS_INCOMPLETE: {
    en: "The credentials have no valid {field}: paste the whole output of aws configure export-credentials --format process.",
    zh: "凭证缺少有效的 {field}：请完整粘贴 aws configure export-credentials --format process 的输出。",
  },
  CREDENTIALS_EXPIRED: {
    en: "These credentials have expired {expiration}: run aws configure export-credentials again (after aws sso login, or assume the role again) and paste the new ones.",
    zh: "这些凭证已过期 {expiration}：请重新运行 aws configure export-credentials（先 aws sso login，或重新扮演角色），并粘贴新的凭证。",
  },
  CREDENTIALS_REJECTED: {
    en: "AWS does not accept these credentials ({detail}): check you pasted them whole and that they are not from another partition (aws-cn vs aws).",
    zh: "AWS 不接受这些凭证（{detail}）：请确认完整粘贴，且凭证不属于另一分区（aws-cn 与 aws）。",
  },
  KMS_ACCESS_DENIED: {
    en: "KMS refused these credentials the key {key}: they are not your member's role. Export the credentials of the profile that assumes your member's role (docs/DEPLOY.md §5), and check you chose your own member.",
    zh: "KMS 拒绝这些凭证使用密钥 {key}：它们不是您成员的角色。请导出扮演您成员角色的配置文件的凭证（docs/DEPLOY.md §5），并确认选择的是您自己的成员。",
  },
  KMS_KEY_NOT_FOUND: {
    en: "KMS has no key {key} in this account and region: check you chose your own member and that your credentials are for the ledger's account (the alias is there).",
    zh: "KMS 在此账号和区域中找不到密钥 {key}：请确认选择的是您自己的成员，且凭证属于账本所在账号（别名在那里）。",
  },
  KMS_KEY_DISABLED: {
    en: "The key {key} is disabled or being deleted ({detail}): ask your key's administrator.",
    zh: "密钥 {key} 已禁用或正在删除（{detail}）：请联系您的密钥管理员。",
  },
  KMS_UNREACHABLE: {
    en: "KMS did not answer as expected ({detail}): check your network can reach KMS, then try again.",
    zh: "KMS 未按预期应答（{detail}）：请确认网络可以访问 KMS，然后重试。",
  },
  KEY_WRONG_ALGORITHM: {
    en: "The key {key} is not the kind your member signs with ({detail}): you chose another member, or the key was replaced; ask the operator.",
    zh: "密钥 {key} 不是您成员使用的签名类型（{detail}）：您选择了其他成员，或密钥已被替换；请联系运维人员。",
  },
  KEY_NOT_MEMBERS: {
    en: "The ledger refused the signature of key {keyId} ({detail}): the key is not your member's as the ledger records it. Check you chose your own member; if your key was rotated, ask the operator.",
    zh: "账本拒绝了密钥 {keyId} 的签名（{detail}）：账本记录中这不是您成员的密钥。请确认选择的是您自己的成员；如果密钥已轮换，请联系运维人员。",
  },
  API_FORBIDDEN: {
    en: "The API refused these credentials ({detail}): they are not your member's role. Export the credentials of the profile that assumes your member's role (docs/DEPLOY.md §5).",
    zh: "API 拒绝了这些凭证（{detail}）：它们不是您成员的角色。请导出扮演您成员角色的配置文件的凭证（docs/DEPLOY.md §5）。",
  },
};
