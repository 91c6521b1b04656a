/** Vite asset imports used by the app. */
declare module '*?raw' {
  const text: string;
  export default text;
}
