/**
 * Kubernetes resource quantities (`1Gi`, `500M`, `1.5Gi`, `2e9`) as exact rationals, so a claim's capacity
 * can be compared with a minimum size without floating-point rounding. Grammar from k8s.io/apimachinery
 * pkg/api/resource/quantity.go: a signed decimal number, then a binary-SI suffix (Ki Mi Gi Ti Pi Ei),
 * a decimal-SI suffix (m, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
 */
export interface Quantity {
  /** As written (shown in messages). */
  text: string;
  /** value = num / 10^scale */
  num: bigint;
  scale: number;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [whole, fraction = ''] = m[2].split('.');
  let num = BigInt(`${m[1] === '-' ? '-' : ''}${whole || '0'}${fraction}`);
  let scale = fraction.length;
  const suffix = m[3] ?? '';
  let exponent = 0;
  if (suffix in BINARY) num *= 1024n ** BigInt(BINARY[suffix]);
  else if (suffix in DECIMAL) exponent = DECIMAL[suffix];
  else if (suffix) exponent = Number(suffix.slice(1));
  if (Math.abs(exponent) > 64) return undefined;
  if (exponent >= 0) num *= 10n ** BigInt(exponent);
  else scale -= exponent;
  return { text: text.trim(), num, scale };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantity(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const left = a.num * 10n ** BigInt(b.scale);
  const right = b.num * 10n ** BigInt(a.scale);
  return left < right ? -1 : left > right ? 1 : 0;
}
