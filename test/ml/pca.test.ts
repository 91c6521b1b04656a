import { describe, expect, it } from 'vitest';
import { covariance, fitPca, projectPca, symmetricEigen } from '../../src/ml/index.js';

const close = (actual: readonly number[], expected: readonly number[], digits = 12) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, digits));
};

describe('PCA', () => {
  // Deviations from the mean (10, 20): a = [3, -1, -3, 1, 0], b = [2, -2, 0, 0, 0], so with n − 1 = 4:
  // var a = 20/4 = 5, var b = 8/4 = 2, cov = (6 + 2)/4 = 2. The covariance [[5, 2], [2, 2]] has
  // eigenvalues 6 and 1 with unit eigenvectors (2, 1)/√5 and (−1, 2)/√5 (sign: largest entry positive).
  const rows = [
    [13, 22],
    [9, 18],
    [7, 20],
    [11, 20],
    [10, 20],
  ];
  const r5 = Math.sqrt(5);

  it('covariance divides by n − 1, as scikit-learn', () => {
    const { mean, matrix } = covariance(rows);
    expect(mean).toEqual([10, 20]);
    expect(matrix).toEqual([
      [5, 2],
      [2, 2],
    ]);
  });

  it('finds the hand-computed components, variances and explained ratios', () => {
    const pca = fitPca(rows, 2);
    expect(pca.mean).toEqual([10, 20]);
    close(pca.components[0]!, [2 / r5, 1 / r5]);
    close(pca.components[1]!, [-1 / r5, 2 / r5]);
    close(pca.variances, [6, 1]);
    close(pca.explainedRatio, [6 / 7, 1 / 7]);
  });

  it('projects a row onto the components: (13, 22) → (8/√5, 1/√5)', () => {
    const pca = fitPca(rows, 2);
    close(projectPca(pca, [13, 22]), [8 / r5, 1 / r5]);
    close(projectPca(pca, [10, 20]), [0, 0]);
    // The projections have the component variances.
    const projected = rows.map((r) => projectPca(pca, r));
    close(covariance(projected).matrix.flat(), [6, 0, 0, 1]);
  });

  it('Jacobi diagonalizes a 3×3 symmetric matrix: A v = λ v for each pair', () => {
    const a = [
      [4, 1, 2],
      [1, 3, 0],
      [2, 0, 5],
    ];
    const { values, vectors } = symmetricEigen(a);
    // The trace and the determinant are the sum and the product of the eigenvalues.
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(12, 12);
    expect(values.reduce((p, x) => p * x, 1)).toBeCloseTo(4 * 15 - 1 * 5 + 2 * -6, 10);
    for (let c = 0; c < 3; c++) {
      const v = vectors.map((row) => row[c]!);
      const av = a.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
      close(av, v.map((x) => x * values[c]!), 10);
      expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    }
  });

  it('keeps the largest-variance axes of 3-D data in order, and copes with flat data', () => {
    // Uncorrelated axes: x constant, y = ±2 (variance 16/3), z = ±1 (variance 4/3).
    const pca = fitPca([[1, 2, 1], [1, -2, 1], [1, 2, -1], [1, -2, -1]], 2);
    close(pca.components[0]!, [0, 1, 0]);
    close(pca.components[1]!, [0, 0, 1]);
    close(pca.variances, [16 / 3, 4 / 3]);
    close(pca.explainedRatio, [4 / 5, 1 / 5]);
    const flat = fitPca([[3, 3], [3, 3], [3, 3]], 2);
    expect(flat.variances).toEqual([0, 0]);
    expect(flat.explainedRatio).toEqual([0, 0]);
    close(projectPca(flat, [3, 3]), [0, 0]);
    expect(() => fitPca([])).toThrow(RangeError);
  });
});
