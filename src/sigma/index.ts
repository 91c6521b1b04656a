/** Sigma in, compiled matcher plans out (see README.md in this folder). */

// Loading rules, correlations and filters
export { loadSigma, parsePipeline } from './load.js';
export type { SigmaCollection, SigmaFilter, SigmaMeta, SigmaOptions, SigmaRulePlan, SigmaSource } from './load.js';

// Event reads (memoised per batch)
export { forgetEventReads } from './field-access.js';

// Pipelines
export { BUILTIN_PIPELINES, ECS_PIPELINE, EVTX_JSON_PIPELINE, FLAT_PIPELINE } from './builtin-pipelines.js';
export { resolveLogsource } from './pipeline.js';
export type { FieldTarget, Logsource, PipelineLogsource, SigmaPipeline, UnknownLogsourcePolicy } from './pipeline.js';

// Correlations
export { CORRELATION_TYPES, MAX_CORRELATION_TIMESPAN_MS, conditionHolds, parseTimespan } from './correlation.js';
export type { ConditionOperator, CorrelationType, SigmaCorrelation } from './correlation.js';
export { referenceCorrelation } from './correlation-reference.js';
export type { CorrelationFiring, CorrelationHit, ReferenceOptions } from './correlation-reference.js';

// Limits
export { DEFAULT_YAML_LIMITS } from './yaml-source.js';
export type { YamlLimits } from './yaml-source.js';
export { MAX_REGEX_LENGTH, MAX_SELECTIONS, MAX_VALUES_PER_FIELD, MAX_VALUES_PER_FILE, MAX_WINDASH_VARIANTS } from './compile-detection.js';
export type { Equality } from './compile-detection.js';
export { MAX_CONDITION_DEPTH, MAX_CONDITION_LENGTH } from './condition.js';
export { MAX_CORRELATION_CHAIN } from './resolve-correlations.js';
