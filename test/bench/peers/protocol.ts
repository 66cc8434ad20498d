/** What the `peers` benchmark's processes agree on: names, and the messages they exchange over IPC. */
/** The test-kit router serves "bench"; a third-party router is given its own (BENCH_REALM, e.g. Nexus's realm1). */
export const realm = process.env.BENCH_REALM ?? "bench"
/** Returns its arguments. */
export const echoProcedure = "bench.echo"
/** `[n]`: publishes n events to `topic`, then returns. */
export const burstProcedure = "bench.burst"
export const topic = "bench.topic"

export type ClientKind = "effect-wamp" | "shared" | "connection" | "facade" | "autobahn" | "wampy" | "raw"
export type SerializerName = "json" | "msgpack"
export type Workload = "sequential" | "inFlight" | "events" | "subscribeSetup" | "registerSetup"

/** Client child → parent: a measured window opens or closes (the parent samples the router's CPU). */
export interface MarkMessage {
  readonly mark: "start" | "end"
  readonly workload: Workload
}

/** Client child → parent: one figure. */
export interface ResultMessage {
  readonly result: {
    readonly workload: Workload
    readonly ops: number
    readonly wallMicros: number
    readonly cpuMicros: number
    /** Sequential round trips only. */
    readonly p50Micros?: number
    readonly p99Micros?: number
    /** Bytes allocated on the JS heap over the window (freed by GCs + growth), from v8.GCProfiler. */
    readonly allocatedBytes?: number
    /** Set-up workloads: heap retained per item made, after a full GC. */
    readonly heapBytesPerItem?: number
    /** Set-up workloads: true when the set-up did not finish within its time limit (`ops` = items made by then). */
    readonly didNotFinish?: boolean
  }
}

/** Router child → parent, in answer to `"cpu"`. */
export interface CpuMessage {
  readonly cpu: NodeJS.CpuUsage
  readonly at: number
}
