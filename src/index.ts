/**
 * Vigil's public API, runtime-agnostic. The platform entries (src/node.ts and src/entries/*) add a
 * `createEngine` from their target (src/targets/*), which loads the WebAssembly pieces the way the
 * platform allows. A platform none of them fits loads both modules itself and calls
 * `createEngineWith(createHost(quickjs, vigilInstance), options)`.
 */

// The engine
export { Engine } from './engine/engine.js';
export type {
  Alert,
  ApplyOptions,
  ApplyResult,
  EngineHost,
  EngineMetrics,
  EngineOptions,
  EventTimeInfo,
  PushOptions,
  PushResult,
  RuleInfo,
  RuleVersion,
  RuntimeDiagnostic,
  MachineTransition,
  StateMachineStats,
} from './engine/engine.js';
export type { IocSet, IocSetFactory, IocSetOptions, SandboxFactory, StateTableFactory, WindowBufferFactory } from './engine/ports.js';
export type { IocListInfo } from './engine/ioc-registry.js';

// Time
export { ManualClock, parseEventTime } from './engine/event-time.js';
export type { Clock } from './engine/event-time.js';

// The rule language
export { checkRules, compileCheck, MAX_VGL_TEXT_CHARS, parseRules, tokenize } from './lang/index.js';
export { formatDiagnostic } from './lang/diagnostic.js';
export type { Diagnostic, Severity } from './lang/diagnostic.js';
export type { RuleAst } from './lang/ast.js';

// The sandbox
export { loadQuickJS } from './sandbox/load.js';
export { createSandboxFactory, DEFAULT_SANDBOX_LIMITS } from './sandbox/sandbox.js';
export type { SandboxLimits } from './sandbox/sandbox.js';

// WebAssembly hot paths
export { createHotPaths } from './wasm/hotpaths.js';

// An engine from loaded pieces (what every platform target calls)
export { createEngineWith, createHost } from './targets/create-engine.js';
export type { Host } from './targets/create-engine.js';

// Input
export { JsonLinesDecoder, parseLine } from './io/from-jsonl.js';
export type { DecodedLine, JsonLinesHandlers, LineError } from './io/from-jsonl.js';

// Mitigation: alerts to a webhook
export { alertIdempotencyKey, canonicalJson, WebhookDelivery, WEBHOOK_DEFAULTS } from './mitigation/webhook.js';
export type { DeadLetter, DeadLetterReason, DeadLetterSink, WebhookOptions, WebhookStats } from './mitigation/webhook.js';
