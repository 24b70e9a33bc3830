/** The `iot-ai` command: one entry and a table of subcommands, each loaded only when it runs. */
import type { CliIO } from './args';

export type Subcommand = (argv: string[], io: CliIO) => Promise<number>;

const SUBCOMMANDS: Record<string, { summary: string; load: () => Subcommand }> = {
  train: {
    summary: 'learn a random forest from a CSV of feature rows, or of readings with --window (forecasts: --horizon)',
    load: () => {
      const { runTrain } = require('./train') as typeof import('./train');
      const { windowExamples, horizonWindowExamples } = require('./windowing') as typeof import('./windowing');
      return (argv, io) => runTrain(argv, io, { windowExamples, forecastExamples: horizonWindowExamples });
    },
  },
  simulate: {
    summary: 'simulated home, city or health devices on an MQTT broker, or readings with their truth to a CSV',
    load: () => (require('./simulate') as typeof import('./simulate')).runSimulate,
  },
  import: {
    summary: 'convert a model trained elsewhere (XGBoost JSON) into a model file, exactly; --check proves it',
    load: () => (require('./import') as typeof import('./import')).runImport,
  },
  window: {
    summary: 'window a CSV of readings into feature rows, as the feature-window node does',
    load: () => (require('./windowing') as typeof import('./windowing')).runWindow,
  },
};

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
