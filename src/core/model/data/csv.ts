/**
 * RFC 4180 CSV: a reader that says where a problem is (`line L, column C: message`) and a writer whose output
 * the reader reads back unchanged.
 *
 * Reader rules: fields are separated by commas (or `delimiter`) and records by CRLF, LF or CR; a field in
 * double quotes may hold delimiters, line breaks and doubled quotes (`""`); a UTF-8 byte-order mark is skipped;
 * blank lines are skipped; the first record is the header and every record must have as many fields as it.
 * A quote inside an unquoted field, or text after a closing quote, is an error (not silently kept).
 * Lines and columns count from 1; columns count UTF-16 code units, as editors mostly do.
 */

export interface CsvPosition {
  line: number;
  column: number;
}

export interface CsvProblem extends CsvPosition {
  message: string;
}

/** `line L, column C: message`. */
export function formatCsvProblem(problem: CsvProblem): string {
  return `line ${problem.line}, column ${problem.column}: ${problem.message}`;
}

export interface CsvTable {
  header: string[];
  /** Data records (the header excluded), each with header.length fields. */
  rows: string[][];
  /** Where a field starts in the text; row -1 is the header. */
  position(row: number, field: number): CsvPosition;
}

export type CsvParseResult = { ok: true; table: CsvTable } | { ok: false; error: CsvProblem };

export interface CsvOptions {
  /** One character; default `,`. */
  delimiter?: string;
  /**
   * Spreadsheet formula escaping (`formatCsv`: add it, `parseCsv`: take it off): a text cell that a spreadsheet
   * would run as a formula (one starting `=`, `+`, `-`, `@`, tab or CR) is written with a leading `'`, and a cell
   * of `'` marks before such a character loses one when read. Numbers (`-3.2`, `+1e5`) are left alone. The two
   * are exact inverses, so an escaped export reads back as it was.
   */
  formulaEscape?: boolean;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const FORMULA = /^'*[=+\-@\t\r]/;

/** `text` as a spreadsheet shows it: a formula-like cell gets a leading `'` (see CsvOptions.formulaEscape). */
export function escapeFormula(text: string): string {
  return FORMULA.test(text) && !NUMBER.test(text) ? `'${text}` : text;
}

/** The inverse of escapeFormula. */
export function unescapeFormula(text: string): string {
  return text.startsWith("'") && FORMULA.test(text) && !NUMBER.test(text) ? text.slice(1) : text;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

export function parseCsv(input: string, options: CsvOptions = {}): CsvParseResult {
  const delimiterText = options.delimiter ?? ',';
  if (delimiterText.length !== 1 || '"\r\n'.includes(delimiterText)) {
    throw new RangeError(`delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiterText)}`);
  }
  const delimiter = delimiterText.charCodeAt(0);
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const n = text.length;
  const lineStarts: number[] = [0];
  const records: string[][] = [];
  const fieldStarts: number[] = [];
  const recordFirstField: number[] = [];

  const locate = (offset: number): CsvPosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
  };
  const fail = (offset: number, message: string): CsvParseResult => ({ ok: false, error: { ...locate(offset), message } });
  /** Records the line breaks inside [from, to) (quoted fields may span lines). */
  const noteLineBreaks = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const ch = text.charCodeAt(k);
      if (ch === LF || (ch === CR && text.charCodeAt(k + 1) !== LF)) lineStarts.push(k + 1);
    }
  };

  let i = 0;
  while (i < n) {
    const first = text.charCodeAt(i);
    if (first === CR || first === LF) {
      // A blank line.
      i += first === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      lineStarts.push(i);
      continue;
    }
    const record: string[] = [];
    recordFirstField.push(fieldStarts.length);
    for (;;) {
      const start = i;
      fieldStarts.push(start);
      if (i < n && text.charCodeAt(i) === QUOTE) {
        let value = '';
        i++;
        for (;;) {
          const close = text.indexOf('"', i);
          if (close === -1) return fail(start, 'quoted field is never closed (missing ")');
          noteLineBreaks(i, close);
          value += text.slice(i, close);
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += '"';
            i = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        if (i < n) {
          const next = text.charCodeAt(i);
          if (next !== delimiter && next !== CR && next !== LF) {
            return fail(i, `unexpected ${JSON.stringify(text[i])} after a closing quote (expected ${JSON.stringify(delimiterText)} or end of line)`);
          }
        }
        record.push(value);
      } else {
        let end = i;
        while (end < n) {
          const ch = text.charCodeAt(end);
          if (ch === delimiter || ch === CR || ch === LF) break;
          if (ch === QUOTE) return fail(end, 'quote inside an unquoted field (quote the whole field and double inner quotes)');
          end++;
        }
        record.push(text.slice(i, end));
        i = end;
      }
      if (i < n && text.charCodeAt(i) === delimiter) {
        i++;
        continue;
      }
      break;
    }
    const expected = records.length === 0 ? record.length : records[0].length;
    if (record.length !== expected) {
      const firstField = recordFirstField[recordFirstField.length - 1];
      const at = record.length > expected ? fieldStarts[firstField + expected] : i;
      return fail(at, `expected ${expected} fields (as in the header), found ${record.length}`);
    }
    records.push(record);
    if (i < n) {
      i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      lineStarts.push(i);
    }
  }
  if (records.length === 0) return fail(0, 'the file is empty (no header line)');
  if (options.formulaEscape) for (const record of records) for (let f = 0; f < record.length; f++) record[f] = unescapeFormula(record[f]);
  const header = records[0];
  return {
    ok: true,
    table: {
      header,
      rows: records.slice(1),
      position: (row: number, field: number) => locate(fieldStarts[recordFirstField[row + 1] + field]),
    },
  };
}

export type CsvValue = string | number | boolean | null | undefined;

export interface CsvWriteOptions extends CsvOptions {
  /** Record separator; default `\n` (the reader takes CRLF, LF and CR alike). */
  newline?: string;
}

/** Writes records, quoting a field only when it has to be. Every record ends with `newline`. */
export function formatCsv(records: ReadonlyArray<ReadonlyArray<CsvValue>>, options: CsvWriteOptions = {}): string {
  const delimiter = options.delimiter ?? ',';
  const newline = options.newline ?? '\n';
  let out = '';
  for (const record of records) {
    const fields = record.map((value) => {
      const raw = value === null || value === undefined ? '' : String(value);
      const text = options.formulaEscape ? escapeFormula(raw) : raw;
      // A lone empty field would read back as a blank line; a leading BOM would be taken for the file's.
      const mustQuote =
        (text === '' && record.length === 1) ||
        text.includes(delimiter) ||
        /["\r\n]/.test(text) ||
        text.charCodeAt(0) === 0xfeff;
      return mustQuote ? `"${text.replace(/"/g, '""')}"` : text;
    });
    out += fields.join(delimiter) + newline;
  }
  return out;
}
