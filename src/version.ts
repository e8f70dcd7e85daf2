/** ferry's version (package.json's), in a module of its own: `ferry --version` loads nothing else. */
export const FERRY_VERSION = "0.1.0";
