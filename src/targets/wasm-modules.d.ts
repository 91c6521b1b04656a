// On workerd (and with wrangler or our esbuild build) a .wasm import is a compiled WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
