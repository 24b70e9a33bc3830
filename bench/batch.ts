/**
 * 9. The batch path (issue 19), in a real Node-RED runtime embedded in this process: the pipeline bench's workload
 * (bench/pipeline.ts) through sensor-ingest (output batch) → feature-window (output batch) → model-predict →
 * actuator-command, one message per device payload from ingest to the commands, against the per-reading pipeline
 * (the default, `each`), (a) four core change nodes and (b) the same job in four function nodes, in alternating rounds.
 * Latency: both pipelines offered the same rate, half of the per-reading pipeline's measured maximum.
 */
import * as path from 'node:path';
import { Fleet, SENSORS } from './lib/data';
import { changeChainFlow, functionFlow, MODEL_CONFIG, paletteFlow } from './lib/flows';
import { count, figure, format, progress, runSection, Section, type BenchOptions } from './lib/report';
import { EmbeddedNodeRed } from './lib/runtime';
import { alternate, ratios, spread } from './lib/timing';
import { latency, throughput, trainComfortModel, windowsOf, type PipelineVariant } from './pipeline';

const DEVICES = 1000;

async function batchSection(options: BenchOptions): Promise<Section> {
  const seconds = options.quick ? 20 : 60;
  const rounds = options.quick ? 2 : 8;
  const section = new Section(
    'batch',
    '9. The batch path (embedded Node-RED)',
    [
      'The workload of section 1 (one JSON text per device and second of event time, 1,000 devices × 4 sensors,',
      `${seconds + 1} s of event time: ${count(DEVICES * (seconds + 1) * 4)} readings per run) through the batch path: sensor-ingest with`,
      '`output: batch` (one message per device payload, `msg.payload` its 4 readings) → feature-window with `output: batch`',
      '(the windows one payload closed as one message) → model-predict (predicts each window of the array) →',
      'actuator-command (each command its own message to the sink, as a device receives it). Per device message the',
      'batch path delivers about 1.3 messages (1 into sensor-ingest, 1 into feature-window, and every 10 s one into',
      'model-predict and actuator-command) where the per-reading pipeline delivers 5.3 and (a) 5. Same runtime, same',
      `rounds: the batch pipeline, the per-reading pipeline of section 1, (a) four core \`change\` nodes and (b) the four`,
      `\`function\` nodes, ${rounds} alternating rounds after a warm-up, each run on a fresh deployment.`,
      'Latency: a paced driver offers both pipelines the same rate, half of the per-reading pipeline\'s median maximum;',
      'from when the reading that closed a window was due to when its command reaches the sink.',
    ].join('\n'),
  );

  const red = await EmbeddedNodeRed.start({ palette: true });
  try {
    progress('Node-RED started; training the model the pipelines serve');
    const modelPath = path.join(red.userDir, 'models', 'comfort.json');
    const model = await trainComfortModel(modelPath);
    const messages = new Fleet(DEVICES, 1).messages(seconds + 1);
    const windows = windowsOf(messages);
    const ready = () => red.node<{ state(): { model?: unknown } }>(MODEL_CONFIG)?.state().model !== undefined;
    const batch: PipelineVariant = { name: 'batch', flow: paletteFlow(modelPath, 4, { batch: true }), ready };
    const each: PipelineVariant = { name: 'each', flow: paletteFlow(modelPath), ready };
    const runs = [
      { variant: batch, expected: windows.count },
      { variant: each, expected: windows.count },
      { variant: { name: 'change', flow: changeChainFlow() }, expected: messages.payloads.length },
      { variant: { name: 'function', flow: functionFlow(model) }, expected: windows.count },
    ];
    progress(`throughput: ${count(messages.readings)} readings, ${count(windows.count)} commands per run, ${rounds} rounds`);
    const rates = await alternate(
      runs.map(({ variant, expected }) => ({ name: variant.name, measure: () => throughput(red, variant, messages, expected) })),
      { rounds },
    );
    const readings = (samples: number[]) => `${figure(spread(samples), 'rate')} readings`;
    const vsChange = ratios(rates.batch, rates.change);
    const vsFunction = ratios(rates.batch, rates.function);
    const vsEach = ratios(rates.batch, rates.each);
    const eachVsChange = ratios(rates.each, rates.change);
    const eachVsFunction = ratios(rates.each, rates.function);
    section.row('throughput of the batch pipeline (ingest batch → window batch → predict → actuator) vs (a) four change nodes', readings(rates.batch), readings(rates.change), figure(vsChange, 'ratio'));
    section.row('throughput of the batch pipeline vs (b) the same job in four function nodes', readings(rates.batch), readings(rates.function), figure(vsFunction, 'ratio'));
    section.row('throughput of the batch pipeline vs the per-reading pipeline (output each, the default)', readings(rates.batch), readings(rates.each), figure(vsEach, 'ratio'));
    section.row('the per-reading pipeline in the same rounds vs (a) four change nodes', readings(rates.each), readings(rates.change), figure(eachVsChange, 'ratio'));
    section.row('the per-reading pipeline in the same rounds vs (b) the four function nodes', readings(rates.each), readings(rates.function), figure(eachVsFunction, 'ratio'));
    section.goal('batch pipeline throughput vs four change nodes', '≥ 1.0×', figure(vsChange, 'ratio'), vsChange.median >= 1);
    section.goal('batch pipeline throughput vs function nodes', '≥ 5×', figure(vsFunction, 'ratio'), vsFunction.median >= 5);

    // Latency: the same offered rate for both, half of the per-reading pipeline's maximum.
    const latencySeconds = options.quick ? 20 : 60;
    const paced = new Fleet(DEVICES, 3).messages(latencySeconds);
    const pacedWindows = windowsOf(paced);
    const offered = spread(rates.each).median / 2;
    progress(`latency: ${count(paced.readings)} readings per run, both offered ${format(offered, 'rate')} readings`);
    const latencies = await alternate(
      [batch, each].map((variant) => ({ name: variant.name, measure: () => latency(red, variant, paced, pacedWindows, offered / SENSORS.length) })),
      { rounds: options.quick ? 1 : 3, warmUp: 0 },
    );
    for (const percentile of ['p50', 'p99'] as const) {
      const batchFigure = latencies.batch.map((l) => l[percentile]);
      const eachFigure = latencies.each.map((l) => l[percentile]);
      const ratio = ratios(batchFigure, eachFigure);
      section.row(
        `${percentile} latency reading → command, both at ${format(offered, 'rate')} readings (half the per-reading maximum; ratio: batch ÷ per-reading)`,
        figure(spread(batchFigure), 'seconds'),
        figure(spread(eachFigure), 'seconds'),
        figure(ratio, 'ratio'),
      );
      if (percentile === 'p99') section.goal('batch p99 latency at half the maximum vs the per-reading path', '≤ 1.0×', figure(ratio, 'ratio'), ratio.median <= 1);
    }
    return section;
  } finally {
    await red.stop();
  }
}

if (require.main === module) runSection(batchSection);
