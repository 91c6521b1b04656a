/**
 * Distance-weighted k-nearest-neighbour vote, by exhaustive search over the training points kept
 * in one flat Float64Array. ml-knn served first; its k-d tree did not prune on these features and
 * scored 30–40× slower than scikit-learn (bench/flows.mjs), while a flat scan of a few thousand
 * five-dimensional points is a few microseconds.
 */

export interface Vote {
  label: string;
  /** Weight of each label among the neighbours, summing to 1. */
  shares: Record<string, number>;
}

export class WeightedKnn {
  private readonly labels: string[];
  private readonly labelOf: Int32Array;
  private readonly points: Float64Array;
  private readonly dimensions: number;
  private readonly count: number;
  private readonly k: number;
  /** Scratch for the k nearest: squared distances (a max-heap) and the points' indices. */
  private readonly heapDistance: Float64Array;
  private readonly heapPoint: Int32Array;

  /** @param points training points; @param labels their labels; @param k neighbours (capped at the number of points). */
  constructor(points: readonly (readonly number[])[], labels: readonly string[], k: number) {
    if (points.length !== labels.length) throw new RangeError(`KNN needs one label per point: ${points.length} points, ${labels.length} labels`);
    this.labels = [...new Set(labels)].sort();
    this.labelOf = Int32Array.from(labels, (l) => this.labels.indexOf(l));
    this.count = points.length;
    this.dimensions = points[0]?.length ?? 0;
    this.points = new Float64Array(this.count * this.dimensions);
    points.forEach((p, i) => this.points.set(p, i * this.dimensions));
    this.k = Math.max(1, Math.min(k, this.count));
    this.heapDistance = new Float64Array(this.k);
    this.heapPoint = new Int32Array(this.k);
  }

  /**
   * As scikit-learn's KNeighborsClassifier(weights='distance'): each neighbour weighs 1/distance;
   * neighbours at distance 0, if any, take the whole vote. Ties go to the label first in sorted order.
   */
  vote(x: readonly number[]): Vote {
    const found = this.nearest(x);
    const weights = new Array<number>(this.labels.length).fill(0);
    let exact = 0;
    for (let j = 0; j < found; j++) if (this.heapDistance[j] === 0) exact++;
    for (let j = 0; j < found; j++) {
      const d2 = this.heapDistance[j]!;
      if (exact && d2 !== 0) continue;
      weights[this.labelOf[this.heapPoint[j]!]!] += exact ? 1 : 1 / Math.sqrt(d2);
    }
    const total = weights.reduce((a, b) => a + b, 0) || 1;
    let best = 0;
    for (let i = 1; i < weights.length; i++) if (weights[i] > weights[best]) best = i;
    return { label: this.labels[best]!, shares: Object.fromEntries(this.labels.map((l, i) => [l, weights[i] / total])) };
  }

  /** Fills the heap with the k nearest points (squared distances); returns how many it holds. */
  private nearest(x: readonly number[]): number {
    const { points, dimensions, heapDistance, heapPoint, k } = this;
    let size = 0;
    for (let i = 0, base = 0; i < this.count; i++, base += dimensions) {
      let d2 = 0;
      for (let j = 0; j < dimensions; j++) {
        const diff = points[base + j]! - x[j]!;
        d2 += diff * diff;
      }
      if (size < k) {
        // Sift up into the max-heap.
        let at = size++;
        while (at > 0) {
          const parent = (at - 1) >> 1;
          if (heapDistance[parent]! >= d2) break;
          heapDistance[at] = heapDistance[parent]!;
          heapPoint[at] = heapPoint[parent]!;
          at = parent;
        }
        heapDistance[at] = d2;
        heapPoint[at] = i;
      } else if (d2 < heapDistance[0]!) {
        // Replace the farthest and sift down.
        let at = 0;
        for (;;) {
          const left = 2 * at + 1;
          if (left >= k) break;
          const right = left + 1;
          const child = right < k && heapDistance[right]! > heapDistance[left]! ? right : left;
          if (heapDistance[child]! <= d2) break;
          heapDistance[at] = heapDistance[child]!;
          heapPoint[at] = heapPoint[child]!;
          at = child;
        }
        heapDistance[at] = d2;
        heapPoint[at] = i;
      }
    }
    return size;
  }
}
