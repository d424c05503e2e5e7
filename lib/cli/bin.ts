/** Entry point of the bundle (dist/promotion.mjs) and of the tsx fallback in cli/promotion.mjs. */
import { run } from "./main";

run();
