import type { Clock } from "../../lib/clock.js";

export const systemClock: Clock = { now: () => new Date() };
