/** The `iot-ai` command: one entry and a table of subcommands, each loaded only when it runs. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export type Subcommand = (argv: string[], io: CliIO) => Promise<number>;

const SUBCOMMANDS: Record<string, { summary: string; load: () => Subcommand }> = {};

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  iot-ai ${name.padEnd(10)} ${summary}`);
  return `Usage: iot-ai <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun iot-ai <command> --help for a command's options.\n`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${require('../../package.json').version}\n`);
    return 0;
  }
  const command = Object.prototype.hasOwnProperty.call(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(`iot-ai: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.load()(rest, io);
}
