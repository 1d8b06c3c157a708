/**
 * Keeps the embedded PostgreSQL server running for the process that started
 * it. The watchdog shell exits as soon as its postmaster does (kill -9, an
 * out-of-memory kill, a crash), so its `exit` event is the signal: the
 * supervisor logs it in words and starts the server again on the same data
 * directory and address (PostgreSQL's own crash recovery replays the WAL:
 * every committed transaction comes back), with backoff while the old
 * server's backends are still exiting and holding its shared memory. The
 * pools of every process reconnect by themselves (same socket or port).
 * When every attempt in the window fails, the process gives up: it logs why
 * and exits with status 70 (EX_SOFTWARE), for a process manager to take over.
 */
import type { ChildProcess } from 'node:child_process';
import type { EmbeddedLog } from './server.js';

/** Delays between restart attempts; after the last one fails, the process gives up. */
export const RESTART_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 15000, 30000];

/** What a supervised server needs. */
export interface Supervised {
  /** Starts the server again; resolves with its new watchdog once it accepts connections. */
  restart(): Promise<ChildProcess>;
  /** True once the owner is stopping it on purpose. */
  stopping(): boolean;
  /** Where the server's files are, for messages. */
  readonly where: string;
  readonly log: EmbeddedLog;
  /** Called when every restart failed (default: exit 70). */
  giveUp?(reason: string): void;
}

/** Watches `child`; restarts the server each time it exits unasked. */
export function superviseServer(child: ChildProcess, s: Supervised): void {
  child.once('exit', (code, signal) => {
    if (s.stopping()) return;
    const how = signal ? `was killed (${signal})` : `exited (status ${code ?? 'unknown'})`;
    s.log(`the embedded PostgreSQL server at ${s.where} stopped unexpectedly: its watchdog ${how}; restarting it (crash recovery replays committed work)`, 'error');
    void restartLoop(s, Date.now());
  });
}

async function restartLoop(s: Supervised, since: number): Promise<void> {
  let last = '';
  for (const delay of RESTART_DELAYS_MS) {
    await new Promise((r) => setTimeout(r, delay));
    if (s.stopping()) return;
    try {
      const child = await s.restart();
      s.log(`the embedded PostgreSQL server at ${s.where} is running again (${((Date.now() - since) / 1000).toFixed(1)} s after it stopped)`, 'info');
      superviseServer(child, s);
      return;
    } catch (err) {
      last = (err as Error).message.split('\n')[0] ?? '';
      s.log(`restarting the embedded PostgreSQL server failed (will retry): ${last}`, 'warn');
    }
  }
  const reason = `the embedded PostgreSQL server at ${s.where} could not be restarted in ${((Date.now() - since) / 1000).toFixed(0)} s: ${last}`;
  s.log(`${reason}; Wharf exits (status 70) for its process manager to restart it`, 'error');
  (s.giveUp ?? (() => process.exit(70)))(reason);
}
