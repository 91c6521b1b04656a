/** K-Means (ml-kmeans) with restarts, and the choice of k by silhouette score. */
import { kmeans } from 'ml-kmeans';
import { nearestCentroid, sq } from './nearest.js';

export { nearestCentroid } from './nearest.js';

export interface Clustering {
  k: number;
  centroids: number[][];
  /** Cluster of each point. */
  assignments: number[];
  /** Sum of squared distances to the nearest centroid. */
  inertia: number;
}

export interface KMeansOptions {
  /** Restarts (scikit-learn's n_init); the run with the least inertia wins. Default 10. */
  restarts?: number;
  seed?: number;
  maxIterations?: number;
}


/** K-Means with k-means++ seeding, `restarts` times; deterministic for a seed. */
export function cluster(points: number[][], k: number, options: KMeansOptions = {}): Clustering {
  const restarts = options.restarts ?? 10;
  const seed = options.seed ?? 1;
  let best: Clustering | undefined;
  for (let r = 0; r < restarts; r++) {
    const result = kmeans(points, k, { initialization: 'kmeans++', seed: seed + r, maxIterations: options.maxIterations ?? 300, tolerance: 1e-8 });
    const centroids = result.centroids;
    const assignments = points.map((p) => nearestCentroid(centroids, p));
    let inertia = 0;
    points.forEach((p, i) => (inertia += sq(p, centroids[assignments[i]])));
    if (!best || inertia < best.inertia - 1e-9) best = { k, centroids, assignments, inertia };
  }
  return best!;
}

/** Mean silhouette coefficient (Euclidean), as scikit-learn's silhouette_score; `distances` is the n×n matrix. */
export function silhouette(distances: Float64Array, n: number, assignments: readonly number[], k: number): number {
  const sizes = new Array<number>(k).fill(0);
  for (const a of assignments) sizes[a]++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = i * n;
    for (let j = 0; j < n; j++) sums[assignments[j]] += distances[row + j];
    const own = assignments[i];
    if (sizes[own] <= 1) continue; // scikit-learn: s = 0 for singletons
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

export function distanceMatrix(points: readonly number[][]): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = Math.sqrt(sq(points[i], points[j]));
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return d;
}

export interface KChoice {
  best: Clustering;
  /** Silhouette score by k (index k − minK). */
  scores: { k: number; score: number }[];
}

/**
 * Clusters for every k in [minK, maxK] (capped at n − 1) and keeps the k of the highest silhouette
 * score (the smallest k on a tie).
 */
export function chooseK(points: number[][], minK = 2, maxK = 20, options: KMeansOptions = {}): KChoice {
  const n = points.length;
  if (n < 3) throw new RangeError(`need at least 3 points to choose k, got ${n}`);
  const distances = distanceMatrix(points);
  const scores: { k: number; score: number }[] = [];
  let best: Clustering | undefined;
  let bestScore = -Infinity;
  for (let k = minK; k <= Math.min(maxK, n - 1); k++) {
    const c = cluster(points, k, options);
    const used = new Set(c.assignments).size;
    const score = used < 2 ? -1 : silhouette(distances, n, c.assignments, k);
    scores.push({ k, score });
    if (score > bestScore + 1e-12) {
      bestScore = score;
      best = c;
    }
  }
  return { best: best!, scores };
}
