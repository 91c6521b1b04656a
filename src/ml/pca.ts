/**
 * Principal component analysis for plotting feature rows in 2-D: the eigenvectors of the sample
 * covariance matrix (divided by n − 1, as scikit-learn's PCA), found with the cyclic Jacobi
 * eigenvalue method. Feature vectors are short (five flow features), so the d×d matrix is tiny and
 * Jacobi's exact, all-at-once answer beats iterating per component.
 */

export interface Pca {
  /** Mean of each input dimension (subtracted before projecting). */
  mean: number[];
  /** Unit eigenvectors, largest variance first; each one's largest-magnitude entry is positive. */
  components: number[][];
  /** Variance along each component (its eigenvalue). */
  variances: number[];
  /** Share of the total variance along each component (0 when the data has none). */
  explainedRatio: number[];
}

const MAX_SWEEPS = 100;

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, in input order. */
export function symmetricEigen(matrix: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const d = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        // The rotation that zeroes a[p][q] (Numerical Recipes' stable form of tan θ).
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]), vectors: v };
}

/** Sample covariance (n − 1 in the denominator; n when there is a single row) and the means. */
export function covariance(rows: readonly (readonly number[])[]): { mean: number[]; matrix: number[][] } {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const matrix = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const r of rows) {
    for (let i = 0; i < d; i++) {
      const di = r[i] - mean[i];
      for (let j = i; j < d; j++) matrix[i][j] += di * (r[j] - mean[j]);
    }
  }
  const divisor = Math.max(1, n - 1);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      matrix[i][j] /= divisor;
      matrix[j][i] = matrix[i][j];
    }
  }
  return { mean, matrix };
}

/** Fits a PCA with `count` components (at most the dimension) on the rows. Throws RangeError without rows. */
export function fitPca(rows: readonly (readonly number[])[], count = 2): Pca {
  if (!rows.length) throw new RangeError('PCA needs at least one row');
  const { mean, matrix } = covariance(rows);
  const { values, vectors } = symmetricEigen(matrix);
  const d = mean.length;
  // Rounding can leave a tiny negative eigenvalue for a flat direction: clamp it.
  const order = values.map((value, i) => ({ value: Math.max(0, value), i })).sort((x, y) => y.value - x.value || x.i - y.i);
  const total = order.reduce((s, e) => s + e.value, 0);
  const kept = order.slice(0, Math.min(count, d));
  const components = kept.map(({ i }) => {
    const column = vectors.map((row) => row[i]);
    // scikit-learn's svd_flip: the entry of largest magnitude is positive, so signs are stable.
    let largest = 0;
    for (let j = 1; j < d; j++) if (Math.abs(column[j]) > Math.abs(column[largest]) + 1e-12) largest = j;
    return column[largest] < 0 ? column.map((x) => -x || 0) : column;
  });
  return {
    mean,
    components,
    variances: kept.map((e) => e.value),
    explainedRatio: kept.map((e) => (total > 0 ? e.value / total : 0)),
  };
}

/** Coordinates of one row along the components. */
export function projectPca(pca: Pca, x: readonly number[]): number[] {
  return pca.components.map((c) => c.reduce((s, w, j) => s + w * (x[j] - pca.mean[j]), 0));
}
