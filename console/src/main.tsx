import { render } from "preact";
import { App } from "./app.js";
import { lang } from "./i18n/index.js";
import "./styles.css";

document.documentElement.lang = lang.get() === "zh" ? "zh-CN" : "en";
const root = document.getElementById("app");
if (root) render(<App />, root);
