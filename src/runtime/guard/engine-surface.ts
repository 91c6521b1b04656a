/**
 * The engine's public API as a type, so that an Engine and a GuardedEngine (the same engine on
 * another thread, behind synchronous calls) are interchangeable for the CLI and the servers.
 */
import type { Engine } from '../../engine/engine.js';
import type { IocRegistry } from '../../engine/ioc-registry.js';
import type { ModelRegistry } from '../../engine/models.js';
import type { TableRegistry } from '../../engine/tables.js';

export type IocRegistrySurface = Pick<IocRegistry, 'create' | 'load' | 'add' | 'remove' | 'has' | 'exists' | 'delete' | 'drop' | 'list' | 'names' | 'serialize'>;
export type TableRegistrySurface = Pick<TableRegistry, 'create' | 'add' | 'remove' | 'delete' | 'has' | 'names' | 'size' | 'entries'>;
export type ModelRegistrySurface = Pick<ModelRegistry, 'set' | 'delete' | 'has' | 'names' | 'get' | 'classify'>;

export type EngineSurface = Pick<
  Engine,
  | 'putRules'
  | 'addRules'
  | 'removeRule'
  | 'setRuleEnabled'
  | 'deactivateRule'
  | 'history'
  | 'revertRule'
  | 'rules'
  | 'rule'
  | 'push'
  | 'advanceTime'
  | 'advanceWatermark'
  | 'flush'
  | 'position'
  | 'checkpoint'
  | 'restore'
  | 'onAlert'
  | 'alerts'
  | 'onDiagnostic'
  | 'diagnostics'
  | 'stateMachineStats'
  | 'stateOf'
  | 'metrics'
  | 'dispose'
> & {
  readonly iocs: IocRegistrySurface;
  readonly tables: TableRegistrySurface;
  readonly models: ModelRegistrySurface;
};
