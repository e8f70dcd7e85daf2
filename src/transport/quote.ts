/** POSIX shell quoting: the only way user data may enter a shell line. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for `sh`: safe words stay as they are, others are single-quoted. */
export function shQuote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Join an argv into one shell line with every word quoted. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(" ");
}
