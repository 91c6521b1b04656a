/** Types for ml-knn 3 (which ships none): only what src/ml uses. */
declare module 'ml-knn' {
  export default class KNN {
    constructor(dataset: number[][], labels: (string | number)[], options?: { k?: number; distance?: (a: number[], b: number[]) => number });
    k: number;
    /** The k-d tree; `nearest` returns [point with its label appended, distance] pairs, farthest first. */
    kdTree: { nearest(point: number[], count: number): [number[], number][] };
    predict(dataset: number[][]): (string | number)[];
    toJSON(): unknown;
  }
}
