/**
 * What a bench section hands back: rows of figures (ours, the baseline, the ratio), goals met or not, and notes.
 * A section runs as its own process (`runSection`); it prints its table and writes its result as JSON for
 * bench/run.js, which prints the final goal table and writes docs/benchmarks.md.
 */
import * as fs from 'node:fs';
import type { Spread } from './timing';

export interface BenchOptions {
  /** `--quick`: fewer rounds and smaller workloads, for a check in under a minute. */
  quick: boolean;
}

export interface Row {
  measurement: string;
  ours: string;
  baseline: string;
  /** Ours relative to the baseline, median of the rounds' ratios and their spread. */
  ratio: string;
}

export interface Goal {
  name: string;
  target: string;
  actual: string;
  /** null: not measured on this machine (e.g. scikit-learn is not installed). */
  met: boolean | null;
}

export interface SectionResult {
  id: string;
  title: string;
  /** Markdown: the workload and the baselines, for docs/benchmarks.md. */
  description: string;
  rows: Row[];
  goals: Goal[];
  notes: string[];
}

export class Section {
  readonly rows: Row[] = [];
  readonly goals: Goal[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly id: string,
    readonly title: string,
    readonly description: string,
  ) {}

  row(measurement: string, ours: string, baseline = '', ratio = ''): void {
    this.rows.push({ measurement, ours, baseline, ratio });
  }

  goal(name: string, target: string, actual: string, met: boolean | null): void {
    this.goals.push({ name, target, actual, met });
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`  note: ${text}`);
  }

  result(): SectionResult {
    const { id, title, description, rows, goals, notes } = this;
    return { id, title, description, rows, goals, notes };
  }
}

/** How a kind of figure is written: the median with its unit, then `(min–max)` on the median's scale. */
export type Unit = 'rate' | 'seconds' | 'bytes' | 'ratio';

function scaleOf(value: number, unit: Unit): { divisor: number; suffix: string } {
  const abs = Math.abs(value);
  switch (unit) {
    case 'rate':
      return abs >= 1e6 ? { divisor: 1e6, suffix: ' M/s' } : abs >= 1e3 ? { divisor: 1e3, suffix: ' k/s' } : { divisor: 1, suffix: ' /s' };
    case 'seconds':
      return abs >= 1 ? { divisor: 1, suffix: ' s' } : abs >= 1e-3 ? { divisor: 1e-3, suffix: ' ms' } : { divisor: 1e-6, suffix: ' µs' };
    case 'bytes':
      return abs >= 2 ** 30 ? { divisor: 2 ** 30, suffix: ' GiB' } : abs >= 2 ** 20 ? { divisor: 2 ** 20, suffix: ' MiB' } : abs >= 2 ** 10 ? { divisor: 2 ** 10, suffix: ' KiB' } : { divisor: 1, suffix: ' B' };
    case 'ratio':
      return { divisor: 1, suffix: '×' };
  }
}

function digits(value: number): string {
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** One number with its unit: `5.34 M/s`, `12.3 ms`, `1.52×`. */
export function format(value: number, unit: Unit): string {
  const { divisor, suffix } = scaleOf(value, unit);
  return `${digits(value / divisor)}${suffix}`;
}

/** A spread as `median unit (min–max)`: `5.34 M/s (5.18–6.01)`. */
export function figure(values: Spread, unit: Unit): string {
  const { divisor, suffix } = scaleOf(values.median, unit);
  return `${digits(values.median / divisor)}${suffix} (${digits(values.min / divisor)}–${digits(values.max / divisor)})`;
}

/** A progress line, stamped with the seconds since the section's process started. */
export function progress(text: string): void {
  console.log(`  [${process.uptime().toFixed(1).padStart(5)} s] ${text}`);
}

export function count(value: number): string {
  return value.toLocaleString('en');
}

/** Plain-text table: the first row is the header. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: readonly string[]) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function verdict(goal: Goal): string {
  return goal.met === null ? 'not measured' : goal.met ? 'met' : 'NOT MET';
}

export function printSection(result: SectionResult): void {
  console.log('');
  console.log(textTable([['measurement', 'ours', 'baseline', 'ours vs baseline'], ...result.rows.map((r) => [r.measurement, r.ours, r.baseline, r.ratio])]));
  if (result.goals.length > 0) {
    console.log('');
    console.log(textTable([['goal', 'target', 'actual', ''], ...result.goals.map((g) => [g.name, g.target, g.actual, verdict(g)])]));
  }
}

/**
 * Entry point of a section process: `node --expose-gc -r tsx/cjs bench/<module>.ts [--quick] [--result FILE]`.
 * A module may measure more than one section (they share data); the result file holds them in order.
 */
export function runSection(build: (options: BenchOptions) => Promise<Section | Section[]>): void {
  const args = process.argv.slice(2);
  const resultAt = args.indexOf('--result');
  const resultFile = resultAt >= 0 ? args[resultAt + 1] : undefined;
  if (!(globalThis as { gc?: unknown }).gc) console.log('  (run with node --expose-gc for garbage collection between runs)');
  build({ quick: args.includes('--quick') })
    .then((built) => {
      const results = (Array.isArray(built) ? built : [built]).map((section) => section.result());
      for (const result of results) {
        console.log(`\n${result.title}`);
        printSection(result);
      }
      if (resultFile) fs.writeFileSync(resultFile, JSON.stringify(results, null, 2));
      // Embedded runtimes and their timers must not keep a finished section alive.
      process.exit(0);
    })
    .catch((err: Error) => {
      console.error(err.stack ?? err.message);
      process.exit(1);
    });
}
