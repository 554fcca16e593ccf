import { signal } from "../state.js";
import { common } from "./common.js";

/**
 * The console's words in Chinese and English (the users are Chinese government staff:
 * Chinese first). Each view keeps its own messages beside the others (./<view>.ts), each
 * an { en, zh } pair of the same keys, so a missing translation is a type error.
 */

export type Lang = "zh" | "en";
export type Messages = Record<string, string>;
export interface MessagePair<M extends Messages> {
  en: M;
  zh: { [K in keyof M]: string };
}

export const lang = signal<Lang>(initialLang());

function initialLang(): Lang {
  const saved = globalThis.localStorage?.getItem("zhixin.lang");
  if (saved === "zh" || saved === "en") return saved;
  return (globalThis.navigator?.language ?? "zh").toLowerCase().startsWith("en") ? "en" : "zh";
}

export function setLang(l: Lang): void {
  globalThis.localStorage?.setItem("zhixin.lang", l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
  lang.set(l);
}

/**
 * A view's translator: `t("key")`, or `t("key", {n: 3})` filling `{n}`. Read inside a
 * component, so a language switch re-renders it (useSignal in the caller).
 */
export function translator<M extends Messages>(pair: MessagePair<M>) {
  return (key: keyof M & string, values?: Record<string, string | number>): string => {
    const text = (lang.get() === "zh" ? pair.zh[key] : pair.en[key]) ?? key;
    return values ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(values[k] ?? m)) : text;
  };
}

export const tc = translator(common);
