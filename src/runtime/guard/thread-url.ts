/**
 * Where a guard thread's script is. Built, it sits next to this file in dist/; run from the
 * TypeScript sources (vitest), Node cannot start a .ts worker, so the built twin in dist/ is used
 * (tests build first, as the CLI tests do).
 */
export function threadUrl(name: string): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL(`./${name}.js`, here);
  return new URL(`../../../dist/runtime/guard/${name}.js`, here);
}
