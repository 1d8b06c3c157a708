/**
 * Which registry process this is: the index a cluster supervisor gave it
 * (0 in a single process). Used to label metrics and to pick the one process
 * that runs node-wide chores.
 */

/** The index of this worker process (0 outside cluster mode). */
export const workerIndex = (): number => Number(process.env.WHARF_WORKER_INDEX ?? 0);
