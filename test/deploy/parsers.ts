/**
 * Small parsers for the deployment files under deploy/ and the root Dockerfile, used by
 * deployment.test.ts where the real tool is missing (no Docker engine; caddy is optional): a
 * Caddyfile tokenizer and block tree, a Dockerfile instruction list, a .dockerignore matcher, and
 * a cron line parser. They check structure, not semantics; the real tools stay the authority.
 */

/** One Caddyfile directive or option: its words on one line, and the block that follows, if any. */
export type CaddyNode = {
  /** The words of the line (quotes removed), e.g. `['reverse_proxy', '@grpc']`. */
  words: string[];
  /** 1-based line of the first word. */
  line: number;
  /** The `{ … }` block opened at the end of the line, or undefined. */
  block?: CaddyNode[];
};

/**
 * Parses a Caddyfile into a tree of lines and blocks (Caddy's own lexical rules: `#` starts a
 * comment at the beginning of a word, `"…"` quotes, `{` at the end of a line opens a block, `}` on
 * its own line closes it; `{$ENV}` and `{placeholder}` words are ordinary words).
 *
 * @returns the top-level nodes (the global options block has no words: `words` is `[]`)
 * @throws Error naming the line of an unbalanced brace or an unterminated quote
 */
export function parseCaddyfile(text: string): CaddyNode[] {
  const lines: { words: string[]; line: number }[] = [];
  text.split('\n').forEach((raw, index) => {
    const words: string[] = [];
    let current = '';
    let quoted = false;
    let inWord = false;
    for (let i = 0; i < raw.length; i++) {
      const ch = raw[i] as string;
      if (quoted) {
        if (ch === '\\' && raw[i + 1] === '"') {
          current += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else current += ch;
        continue;
      }
      if (ch === '"') {
        quoted = true;
        inWord = true;
        continue;
      }
      if (/\s/.test(ch)) {
        if (inWord) words.push(current);
        current = '';
        inWord = false;
        continue;
      }
      if (ch === '#' && !inWord) break;
      current += ch;
      inWord = true;
    }
    if (quoted) throw new Error(`line ${index + 1}: unterminated quote`);
    if (inWord) words.push(current);
    if (words.length > 0) lines.push({ words, line: index + 1 });
  });

  let position = 0;
  const readBlock = (openedAt: number | undefined): CaddyNode[] => {
    const nodes: CaddyNode[] = [];
    while (position < lines.length) {
      const { words, line } = lines[position] as { words: string[]; line: number };
      position++;
      if (words.length === 1 && words[0] === '}') {
        if (openedAt === undefined) throw new Error(`line ${line}: "}" closes no block`);
        return nodes;
      }
      if (words.includes('}')) throw new Error(`line ${line}: "}" must stand on its own line`);
      const opens = words[words.length - 1] === '{';
      const own = opens ? words.slice(0, -1) : words;
      if (own.includes('{')) throw new Error(`line ${line}: "{" must end its line`);
      nodes.push(opens ? { words: own, line, block: readBlock(line) } : { words: own, line });
    }
    if (openedAt !== undefined) throw new Error(`line ${openedAt}: "{" is never closed`);
    return nodes;
  };
  return readBlock(undefined);
}

/** Every node of the tree, depth first. */
export function caddyNodes(nodes: readonly CaddyNode[]): CaddyNode[] {
  return nodes.flatMap((node) => [node, ...caddyNodes(node.block ?? [])]);
}

/** The nodes of `block` whose first word is `name`. */
export function caddyChildren(block: readonly CaddyNode[] | undefined, name: string): CaddyNode[] {
  return (block ?? []).filter((node) => node.words[0] === name);
}

/** One Dockerfile instruction: its keyword (upper case), its arguments (continuations joined), its line. */
export type DockerInstruction = { keyword: string; args: string; line: number };

/** The instructions Dockerfile syntax knows (Dockerfile reference, 2025). */
export const DOCKERFILE_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/**
 * Splits a Dockerfile into instructions: comments and blank lines dropped, lines ending in `\`
 * joined with the next (comment lines inside a continuation are skipped, as BuildKit does).
 *
 * @throws Error naming the line of a keyword Dockerfile syntax does not know, or a continuation
 *   that runs off the end of the file
 */
export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  const lines = text.split('\n');
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continues = trimmed.endsWith('\\');
    const piece = continues ? trimmed.slice(0, -1) : trimmed;
    pending = pending === undefined ? { text: piece, line: index + 1 } : { text: `${pending.text} ${piece}`, line: pending.line };
    if (continues) return;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim());
    if (match) {
      const keyword = (match[1] as string).toUpperCase();
      if (!DOCKERFILE_INSTRUCTIONS.has(keyword)) throw new Error(`line ${pending.line}: unknown instruction ${match[1] as string}`);
      instructions.push({ keyword, args: (match[2] as string).replace(/\s+/g, ' ').trim(), line: pending.line });
    }
    pending = undefined;
  });
  if (pending !== undefined) throw new Error(`line ${(pending as { line: number }).line}: continuation never ends`);
  return instructions;
}

/**
 * Whether a path (relative to the build context, `/`-separated) is excluded by .dockerignore
 * patterns: Go filepath.Match globs (`*`, `?`) anchored at the context root, `**` for any number of
 * directories, a match on a directory excluding everything below it, `!` re-including; the last
 * matching pattern wins.
 */
export function dockerIgnored(patterns: readonly string[], file: string): boolean {
  let ignored = false;
  for (const rawPattern of patterns) {
    const negated = rawPattern.startsWith('!');
    const pattern = (negated ? rawPattern.slice(1) : rawPattern).replace(/^\/+|\/+$/g, '');
    if (pattern === '') continue;
    const source = pattern
      .split('/')
      .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
      .join('/');
    if (new RegExp(`^${source}(?:/.*)?$`).test(file)) ignored = !negated;
  }
  return ignored;
}

/** The patterns of a .dockerignore file (comments and blank lines dropped). */
export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** One job of a /etc/cron.d file. */
export type CronJob = { schedule: string[]; user: string; command: string; line: number };

const CRON_FIELDS: readonly { name: string; min: number; max: number }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

/**
 * Checks one schedule field: `*`, numbers, ranges `a-b`, steps `/n`, comma lists, within the
 * field's bounds (month and weekday names are not used in deploy/ and are refused).
 *
 * @returns undefined when valid, else what is wrong
 */
export function cronFieldProblem(value: string, index: number): string | undefined {
  const field = CRON_FIELDS[index];
  if (!field) return `there is no schedule field ${index + 1}`;
  for (const part of value.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) return `${field.name} "${value}" is not a cron field`;
    const numbers = [match[2], match[3]].filter((n): n is string => n !== undefined).map(Number);
    if (numbers.some((n) => n < field.min || n > field.max)) return `${field.name} "${value}" is outside ${field.min}-${field.max}`;
    if (numbers.length === 2 && (numbers[0] as number) > (numbers[1] as number)) return `${field.name} "${value}" is a backwards range`;
    if (match[4] !== undefined && Number(match[4]) === 0) return `${field.name} "${value}" has a step of 0`;
  }
  return undefined;
}

/**
 * Parses a /etc/cron.d file: comment, blank and `NAME=value` lines are skipped; every other line is
 * five schedule fields, a user and a command.
 *
 * @throws Error naming the line of a job with a bad schedule field or without a user and command
 */
export function parseCronD(text: string): { env: Record<string, string>; jobs: CronJob[] } {
  const env: Record<string, string> = {};
  const jobs: CronJob[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (assignment) {
      env[assignment[1] as string] = assignment[2] as string;
      return;
    }
    const fields = line.split(/\s+/);
    if (fields.length < 7) throw new Error(`line ${index + 1}: a job needs 5 schedule fields, a user and a command`);
    const schedule = fields.slice(0, 5);
    schedule.forEach((value, i) => {
      const problem = cronFieldProblem(value, i);
      if (problem) throw new Error(`line ${index + 1}: ${problem}`);
    });
    const user = fields[5] as string;
    const command = line.replace(/^(\S+\s+){6}/, '');
    jobs.push({ schedule, user, command, line: index + 1 });
  });
  return { env, jobs };
}

/**
 * What cron hands to the shell: an unescaped `%` ends the command (the rest would be its
 * standard input), and `\%` becomes `%`.
 *
 * @throws Error when the command holds an unescaped `%`
 */
export function cronShellCommand(command: string): string {
  if (/(^|[^\\])%/.test(command)) throw new Error('the command holds an unescaped "%": cron would cut it there');
  return command.replace(/\\%/g, '%');
}

/**
 * Reads a systemd EnvironmentFile-style file of plain `KEY=value` lines (comments and blank lines
 * skipped). Quotes and escapes are refused, so that /bin/sh reads the same values.
 *
 * @throws Error naming a line that is not a plain assignment
 */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([^\s"'\\$`]*)$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}: not a plain KEY=value line: ${line}`);
    values[match[1] as string] = match[2] as string;
  });
  return values;
}

/** The `Key=value` settings of one section of a systemd unit file (repeated keys keep every value). */
export function unitSection(text: string, section: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== section || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return settings;
}
