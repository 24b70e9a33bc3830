/**
 * A short in-place radix-2 FFT (iterative Cooley–Tukey, decimation in time), for the spectral window features.
 *
 * Our own rather than a dependency (npm has fft.js, fft-js, ml-fft): the windows are small (at most 4,096 points),
 * one transform of a power-of-two length is all we need, and these lines cost less than a dependency's updates and
 * supply chain in a palette that installs from the palette manager and must stay pure JavaScript and small. It is
 * checked against numpy's FFT (test/fixtures/window/spectral-numpy.json, test/core/window-spectral.test.ts).
 */

/** Twiddle factors per length: cos and sin of −2πk/n for k < n/2. */
const twiddles = new Map<number, { cos: Float64Array; sin: Float64Array }>();

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function twiddlesOf(n: number): { cos: Float64Array; sin: Float64Array } {
  let table = twiddles.get(n);
  if (table === undefined) {
    const half = n >> 1;
    table = { cos: new Float64Array(half), sin: new Float64Array(half) };
    for (let k = 0; k < half; k++) {
      const angle = (-2 * Math.PI * k) / n;
      table.cos[k] = Math.cos(angle);
      table.sin[k] = Math.sin(angle);
    }
    if (twiddles.size < 32) twiddles.set(n, table);
  }
  return table;
}

/**
 * The discrete Fourier transform X_k = Σ x_j·e^(−2πi·jk/n) of (re, im), in place; n = re.length, a power of two
 * (numpy's `fft.fft` convention: no scaling).
 */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (im.length !== n) throw new Error('fft: re and im differ in length');
  if (!isPowerOfTwo(n)) throw new Error(`fft: length ${n} is not a power of two`);
  if (n < 2) return;
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  const { cos, sin } = twiddlesOf(n);
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}
