/** Squared distances and the nearest centroid: shared by K-Means training and by scoring (which must not pull in ml-kmeans). */

export function sq(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** Index of the centroid nearest to x. */
export function nearestCentroid(centroids: readonly number[][], x: readonly number[]): number {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, i) => {
    const d = sq(c, x);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
