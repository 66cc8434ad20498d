// The `when` package (when.js 3.7.8, CommonJS) ships no types. Only src/autobahn/when.ts imports it,
// and it gives the value its own `When` interface, so nothing of this reaches the published .d.ts.
declare module "when" {
  const when: unknown
  export default when
}
