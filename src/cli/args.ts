/**
 * What every `iot-ai` subcommand shares: its input/output, and one command-line dialect read with Node's
 * `util.parseArgs`: `--name value` or `--name=value`, switches without a value, `-h`/`--help`.
 */
import { parseArgs } from 'node:util';

export interface CliIO {
  stdout: { write(text: string): unknown };
  /** A terminal (isTTY) gets progress on one self-updating line. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** A bad command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

export interface FlagSpec {
  /** Options that take a value. */
  values: readonly string[];
  /** Options without a value. */
  switches?: readonly string[];
  /** Value options that may be given more than once (their values are all kept, in order). */
  repeatable?: readonly string[];
}

/** The options given on a command line. */
export class Flags {
  constructor(
    private readonly values: ReadonlyMap<string, readonly string[]>,
    private readonly switches: ReadonlySet<string>,
  ) {}

  /** Whether the option was given at all. */
  has(name: string): boolean {
    return this.values.has(name) || this.switches.has(name);
  }

  /** Its value (the first, for a repeatable one). */
  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** Its value, which must be given and not be empty. */
  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
    return value;
  }

  /** A repeatable option's values, each a comma-separated list, as one list of trimmed, non-empty names. */
  list(name: string): string[] {
    return (this.values.get(name) ?? []).flatMap((list) => list.split(',')).map((item) => item.trim()).filter((item) => item !== '');
  }

  /** Whether a switch was given. */
  switch(name: string): boolean {
    return this.switches.has(name);
  }
}

/**
 * Reads `argv` against `spec`; 'help' when -h or --help is among them. Throws UsageError with the words users
 * see: `unknown option --x`, `--x needs a value`, `--x is given twice`, `unexpected argument "x"`.
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec): Flags | 'help' {
  const switchNames = spec.switches ?? [];
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const name of spec.values) options[name] = { type: 'string' };
  for (const name of switchNames) options[name] = { type: 'boolean' };
  // Not strict: its own errors have other words, and a value starting with "--" must be refused, not taken.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !token.rawName.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(argv[token.index])}`);
    const { name } = token;
    if (switchNames.includes(name)) {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    if (!spec.values.includes(name)) throw new UsageError(`unknown option --${name}`);
    // "--out --trees 5": --out was given no value ("-" alone is one: stdout).
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    const given = values.get(name);
    if (given !== undefined && !(spec.repeatable ?? []).includes(name)) throw new UsageError(`--${name} is given twice`);
    values.set(name, [...(given ?? []), token.value]);
  }
  return new Flags(values, switches);
}

/**
 * Reads a subcommand's command line with `parse`: its arguments, or the exit code when that is all there is to
 * do (0 after printing `usage` for --help, 2 after explaining a UsageError).
 */
export function readCommandLine<T>(command: string, usage: string, io: CliIO, parse: () => T | 'help'): T | number {
  let args: T | 'help';
  try {
    args = parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`iot-ai ${command}: ${err.message}\nRun "iot-ai ${command} --help" for usage.\n`);
    return 2;
  }
  if (args === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  return args;
}
