/** `%term%` for (I)LIKE: the term anywhere, with its `\\`, `%` and `_` escaped so they match themselves. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
