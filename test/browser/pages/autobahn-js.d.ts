/** The little of Autobahn|JS's API the size-comparison page uses (the package ships no types). */
declare module "autobahn" {
  interface Session {
    call(procedure: string, args?: Array<unknown>): Promise<unknown>
    subscribe(topic: string, handler: (args: Array<unknown>) => void): Promise<unknown>
  }
  export class Connection {
    constructor(options: { readonly url: string; readonly realm: string; readonly max_retries?: number })
    onopen: (session: Session) => void
    open(): void
    close(): void
  }
  const autobahn: { readonly Connection: typeof Connection }
  export default autobahn
}
