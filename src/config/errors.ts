/**
 * The one error type configuration and startup checks throw.
 *
 * `message` is meant to be printed to the person starting the server as is: it names the file,
 * section and key (or environment variable) at fault and says what to set. `problems` holds the
 * same findings one per entry, for callers that want to render them differently.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  /**
   * @param message whole, printable explanation
   * @param problems the individual findings (defaults to `[message]`)
   */
  constructor(message: string, problems?: readonly string[]) {
    super(message);
    this.name = 'ConfigError';
    this.problems = problems ?? [message];
  }
}

/** Builds one ConfigError out of several findings, with a heading line. */
export function configErrorFromProblems(heading: string, problems: readonly string[]): ConfigError {
  const body = problems.map((p) => `  - ${p}`).join('\n');
  return new ConfigError(`${heading}\n${body}`, problems);
}
