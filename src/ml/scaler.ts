/** Standard scaling (zero mean, unit variance per feature), as scikit-learn's StandardScaler. */
import type { Scaler } from './types.js';

export type { Scaler } from './types.js';

export function fitScaler(rows: readonly number[][]): Scaler {
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j];
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j] += (r[j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scale[j] / rows.length);
    scale[j] = sd > 0 ? sd : 1;
  }
  return { mean, scale };
}

export function transform(scaler: Scaler, x: readonly number[]): number[] {
  return x.map((v, j) => (v - scaler.mean[j]) / scaler.scale[j]);
}
