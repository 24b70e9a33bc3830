/**
 * Unit conversion to SenML (RFC 8428) unit symbols. Each known unit is a linear map onto one SenML base unit:
 * base = value * scale + offset. Converting between two units of the same base goes through the base.
 */
interface UnitDef {
  base: string;
  scale: number;
  offset: number;
}

const linear = (base: string, scale = 1, offset = 0): UnitDef => ({ base, scale, offset });

const UNITS: Record<string, UnitDef> = {
  // temperature
  Cel: linear('Cel'),
  '°C': linear('Cel'),
  C: linear('Cel'),
  degC: linear('Cel'),
  celsius: linear('Cel'),
  degF: linear('Cel', 5 / 9, -32 * (5 / 9)),
  '°F': linear('Cel', 5 / 9, -32 * (5 / 9)),
  F: linear('Cel', 5 / 9, -32 * (5 / 9)),
  fahrenheit: linear('Cel', 5 / 9, -32 * (5 / 9)),
  K: linear('Cel', 1, -273.15),
  kelvin: linear('Cel', 1, -273.15),
  // relative humidity
  '%RH': linear('%RH'),
  '%rh': linear('%RH'),
  RH: linear('%RH'),
  // pressure
  Pa: linear('Pa'),
  hPa: linear('Pa', 100),
  mbar: linear('Pa', 100),
  kPa: linear('Pa', 1000),
  bar: linear('Pa', 100000),
  psi: linear('Pa', 6894.757293168),
  // speed
  'm/s': linear('m/s'),
  'km/h': linear('m/s', 1 / 3.6),
  kmh: linear('m/s', 1 / 3.6),
  mph: linear('m/s', 0.44704),
  kn: linear('m/s', 1852 / 3600),
  // acceleration
  'm/s2': linear('m/s2'),
  'm/s^2': linear('m/s2'),
  'm/s²': linear('m/s2'),
  // concentration
  ppm: linear('ppm'),
  ppb: linear('ppm', 0.001),
  'ug/m3': linear('ug/m3'),
  'µg/m3': linear('ug/m3'),
  'µg/m³': linear('ug/m3'),
  'ug/m^3': linear('ug/m3'),
  'mg/m3': linear('ug/m3', 1000),
  // light
  lx: linear('lx'),
  lux: linear('lx'),
  // heart rate
  'beat/min': linear('beat/min'),
  bpm: linear('beat/min'),
  // energy and power
  W: linear('W'),
  kW: linear('W', 1000),
  J: linear('J'),
  Wh: linear('J', 3600),
  kWh: linear('J', 3.6e6),
  // electrical
  V: linear('V'),
  mV: linear('V', 0.001),
  A: linear('A'),
  mA: linear('A', 0.001),
  // ratio
  '%': linear('%'),
  '/': linear('/'),
  // length
  m: linear('m'),
  cm: linear('m', 0.01),
  mm: linear('m', 0.001),
  km: linear('m', 1000),
  // time
  s: linear('s'),
  ms: linear('s', 0.001),
  min: linear('s', 60),
  h: linear('s', 3600),
};

/** The SenML symbol a unit converts to, or undefined when the unit is unknown. */
export function senmlUnitOf(unit: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(UNITS, unit) ? UNITS[unit].base : undefined;
}

/**
 * Convert `value` from unit `from` to unit `to` (both known and of the same quantity), or to `from`'s
 * SenML base when `to` is omitted. Returns undefined when no conversion exists.
 */
export function convertUnit(value: number, from: string, to?: string): { value: number; unit: string } | undefined {
  if (!Object.prototype.hasOwnProperty.call(UNITS, from)) return undefined;
  const source = UNITS[from];
  const baseValue = value * source.scale + source.offset;
  if (to === undefined) return { value: baseValue, unit: source.base };
  if (!Object.prototype.hasOwnProperty.call(UNITS, to)) return undefined;
  const target = UNITS[to];
  if (target.base !== source.base) return undefined;
  return { value: (baseValue - target.offset) / target.scale, unit: to };
}
