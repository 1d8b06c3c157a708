/**
 * Samples the memory of a process and all its descendants (Wharf's
 * supervisor, its workers and the embedded PostgreSQL server) every 250 ms
 * from /proc, keeping the peaks of the summed PSS (each shared page counted
 * once, split among its sharers: the honest total) and the summed RSS
 * (shared pages counted in every process: PostgreSQL's shared buffers and
 * Node's code pages many times over).
 */
import { readdirSync, readFileSync } from 'node:fs';

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) if (out.has(ppid) && !out.has(pid)) grew = out.add(pid) !== undefined;
  }
  return [...out];
}

const kib = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);

/** Starts sampling; `stop()` returns the peaks in MiB. */
export function sampleTreeMemory(root: number): { stop(): { pssMiB: number; rssMiB: number; breakdown: string } } {
  let pss = 0;
  let rss = 0;
  let breakdown = '';
  const sample = () => {
    let p = 0;
    let r = 0;
    const parts = new Map<string, number>();
    for (const pid of descendants(root)) {
      try {
        const own = kib(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        p += own;
        r += kib(status, 'VmRSS');
        const comm = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
        const name = comm === 'node' && pid !== root ? `node(${pid})` : comm;
        parts.set(name, (parts.get(name) ?? 0) + own);
      } catch {
        // gone meanwhile
      }
    }
    if (p / 1024 > pss) breakdown = [...parts].map(([name, k]) => `${name} ${(k / 1024).toFixed(1)}`).join(', ');
    pss = Math.max(pss, p / 1024);
    rss = Math.max(rss, r / 1024);
  };
  const timer = setInterval(sample, 250);
  sample();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { pssMiB: pss, rssMiB: rss, breakdown };
    },
  };
}
