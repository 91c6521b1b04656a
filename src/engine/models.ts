/**
 * Flow models that rules score with `utils.classify(name, features)`: the JSON `vigil train`
 * writes (src/ml/model.ts), checked when loaded, kept in checkpoints.
 */
import { checkModel, classify } from '../ml/classify.js';
import type { Classification as FlowClassification, FlowModel } from '../ml/types.js';

export class ModelRegistry {
  private readonly models = new Map<string, FlowModel>();

  /** Loads or replaces a model; a value that is not a flow model is a TypeError saying why. */
  set(name: string, model: unknown): void {
    if (!name) throw new TypeError('a model needs a name');
    this.models.set(name, checkModel(model));
  }

  delete(name: string): boolean {
    return this.models.delete(name);
  }

  has(name: string): boolean {
    return this.models.has(name);
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  get(name: string): FlowModel {
    const model = this.models.get(name);
    if (!model) {
      const known = this.names();
      throw new Error(`unknown model '${name}'${known.length ? ` (loaded: ${known.join(', ')})` : ' (no models are loaded)'}`);
    }
    return model;
  }

  /** Scores features: an array in the model's feature order, or an object keyed by feature name. */
  classify(name: string, features: unknown): FlowClassification {
    const model = this.get(name);
    if (Array.isArray(features)) {
      if (features.length !== model.features.length) {
        throw new RangeError(`model '${name}' takes ${model.features.length} features (${model.features.join(', ')}); got ${features.length}`);
      }
    } else if (features === null || typeof features !== 'object') {
      throw new TypeError(`model '${name}' needs an array or an object of features`);
    }
    const vector = (Array.isArray(features) ? features : model.features.map((f) => (features as Record<string, unknown>)[f] ?? 0)).map(Number);
    const bad = vector.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new TypeError(`feature '${model.features[bad]}' is not a finite number`);
    const { label, cluster, score } = classify(model, vector);
    return { label, cluster, score };
  }
}
