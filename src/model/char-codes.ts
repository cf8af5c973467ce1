/** The character codes the readers compare with (`charCodeAt` and bytes alike), named in one place. */
export const TAB = 9;
export const NL = 10;
export const CR = 13;
export const SPACE = 32;
export const QUOTE = 34;
export const HASH = 35;
export const PERCENT = 37;
export const COMMA = 44;
export const DASH = 45;
export const OPEN_BRACKET = 91;
export const BACKSLASH = 92;
export const CLOSE_BRACKET = 93;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
