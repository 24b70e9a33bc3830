/**
 * Float32 comparisons as float64 thresholds.
 *
 * XGBoost (and ONNX's tree ensembles) store thresholds as float32 and compare a feature value rounded to float32:
 * XGBoost goes left when `float32(x) < c`. Our trees compare doubles, `x <= T`. For every float32 c there is one
 * double T that splits every double x exactly as XGBoost does: float32(x) < c holds exactly when float32(x) is at
 * most p, the float32 just below c, i.e. when x rounds down to p or below; the doubles that do are those up to the
 * midpoint m = (p + c) / 2 (exact in float64), m itself included only when float32 rounding sends it to p (ties go
 * to the float32 with an even last bit). So T = m when fround(m) < c, else the double just below m.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The largest float32 below the float32 `c` (−Infinity below −3.4028235e38). */
export function previousFloat32(c: number): number {
  f32[0] = c;
  if (f32[0] !== c) throw new RangeError(`${c} is not a float32`);
  if (c === 0) u32[0] = 0x80000001;
  else if (c > 0) u32[0] -= 1;
  else u32[0] += 1;
  return f32[0];
}

/** The largest double below the finite double `x`. */
export function previousDouble(x: number): number {
  f64[0] = x;
  if (x === 0) u64[0] = 0x8000000000000001n;
  else if (x > 0) u64[0] -= 1n;
  else u64[0] += 1n;
  return f64[0];
}

/** The largest float32 magnitude plus half its step: what rounds to ±Infinity in float32 at the tie. */
const FLOAT32_OVERFLOW = 2 ** 128 - 2 ** 103;

/**
 * The double T with `x <= T` ⟺ `Math.fround(x) < c` for every double x (`c` read as float32 first), and NaN
 * failing both. Finite for every finite c.
 */
export function float32LessThanAsDoubleLessEqual(c: number): number {
  const threshold = Math.fround(c);
  if (!Number.isFinite(threshold)) throw new RangeError(`threshold ${c} is not a finite float32`);
  const below = previousFloat32(threshold);
  const midpoint = below === -Infinity ? -FLOAT32_OVERFLOW : (below + threshold) / 2;
  return Math.fround(midpoint) < threshold ? midpoint : previousDouble(midpoint);
}

/** The smallest float32 above the float32 `c` (+Infinity above the largest). */
export function nextFloat32(c: number): number {
  return -previousFloat32(-c);
}

/**
 * The double T with `x <= T` ⟺ `Math.fround(x) <= c` for every double x (ONNX's BRANCH_LEQ on a float32 input):
 * float32(x) <= c is float32(x) < the next float32 up; above the largest float32 it is every x that does not
 * round to +Infinity.
 */
export function float32LessEqualAsDoubleLessEqual(c: number): number {
  const threshold = Math.fround(c);
  if (!Number.isFinite(threshold)) throw new RangeError(`threshold ${c} is not a finite float32`);
  const above = nextFloat32(threshold);
  return above === Infinity ? previousDouble(FLOAT32_OVERFLOW) : float32LessThanAsDoubleLessEqual(above);
}
