/** Distance-weighted k-nearest-neighbour vote over ml-knn's k-d tree (ml-knn itself votes unweighted). */
import KNN from 'ml-knn';

export interface Vote {
  label: string;
  /** Weight of each label among the neighbours, summing to 1. */
  shares: Record<string, number>;
}

export class WeightedKnn {
  private readonly knn: KNN;
  private readonly labels: string[];
  private readonly k: number;

  /** @param points training points; @param labels their labels; @param k neighbours (capped at the number of points). */
  constructor(points: number[][], labels: readonly string[], k: number) {
    this.labels = [...new Set(labels)].sort();
    const index = labels.map((l) => this.labels.indexOf(l));
    this.k = Math.min(k, points.length);
    this.knn = new KNN(points, index, { k: this.k });
  }

  /**
   * As scikit-learn's KNeighborsClassifier(weights='distance'): each neighbour weighs 1/distance;
   * neighbours at distance 0, if any, take the whole vote. Ties go to the label first in sorted order.
   */
  vote(x: readonly number[]): Vote {
    const nearest = this.knn.kdTree.nearest(x as number[], this.k);
    const weights = new Array<number>(this.labels.length).fill(0);
    const exact = nearest.filter(([, d]) => d === 0);
    for (const [point, d] of exact.length ? exact : nearest) weights[point[point.length - 1]] += exact.length ? 1 : 1 / d;
    const total = weights.reduce((a, b) => a + b, 0) || 1;
    let best = 0;
    for (let i = 1; i < weights.length; i++) if (weights[i] > weights[best]) best = i;
    return { label: this.labels[best], shares: Object.fromEntries(this.labels.map((l, i) => [l, weights[i] / total])) };
  }
}
