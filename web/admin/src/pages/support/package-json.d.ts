/** The fields of the repository's package.json the System screen shows (Vite imports JSON by name, tree-shaken). */
declare module '*/package.json' {
  export const name: string;
  export const version: string;
  export const description: string;
}
