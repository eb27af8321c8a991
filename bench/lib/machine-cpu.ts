import { closeSync, openSync, readSync } from 'node:fs';

/** /proc/stat and /proc/<pid>/stat count in USER_HZ ticks, 100 per second on Linux whatever the kernel's HZ. */
const MS_PER_TICK = 10;

/** CPU time used so far, ms: by the whole machine (all CPUs, idle and iowait left out) and by one process tree. */
export interface CpuReading {
  at: number;
  machineBusyMs: number;
  treeMs: number;
}

/** The machine's busy time from the first line of /proc/stat (user nice system idle iowait irq softirq steal ...). */
export function machineBusyMs(procStat: string): number {
  const fields = procStat.slice(0, procStat.indexOf('\n')).trim().split(/\s+/);
  if (fields[0] !== 'cpu') throw new Error('/proc/stat does not start with the cpu line');
  const ticks = fields.slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) * MS_PER_TICK;
}

/** A process's CPU time and that of its children it waited for, from /proc/<pid>/stat (utime stime cutime cstime). */
export function processCpuMs(pidStat: string): number {
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const rest = pidStat.slice(pidStat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); utime..cstime are fields 14-17.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(rest[i] ?? 0), 0) * MS_PER_TICK;
}

/** One buffer for every read: the reads run once or twice a second while the bench measures, and must not feed its garbage collector. */
const buffer = Buffer.alloc(16 * 1024);

/**
 * The first 16 kB of a /proc file (all the fields read here; /proc/stat's cpu line comes first),
 * undefined when it cannot be read (a process gone meanwhile). Synchronous into a reused buffer:
 * procfs answers from memory in microseconds, and fs.readFile would allocate a 64 kB chunk per
 * file (procfs reports size 0), megabytes a second of garbage on the bench's large main heap.
 */
function readProc(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * How much of the machine's CPU a process tree (the bench and the stack it started: Temporal, the
 * endpoint host and its model servers, the worker...) used, and how much the rest of the machine
 * did. On shared CPUs a p99 spike with the rest busy is another tenant's work, not the stack's.
 * Linux only (/proc); `create` gives undefined elsewhere.
 */
export class MachineCpu {
  private constructor(private readonly root: number) {}

  static create(root = process.pid): MachineCpu | undefined {
    return readProc('/proc/stat') !== undefined && readProc(`/proc/${root}/stat`) !== undefined ? new MachineCpu(root) : undefined;
  }

  read(): CpuReading | undefined {
    const at = Date.now();
    const stat = readProc('/proc/stat');
    if (!stat) return undefined;
    let treeMs = 0;
    const seen = new Set<number>();
    const visit = (pid: number): void => {
      if (seen.has(pid)) return;
      seen.add(pid);
      const own = readProc(`/proc/${pid}/stat`);
      if (own === undefined) return; // gone meanwhile
      treeMs += processCpuMs(own);
      // Children a process spawns from its main thread (how Node and Python spawn) are listed there.
      const children = readProc(`/proc/${pid}/task/${pid}/children`) ?? '';
      for (const child of children.trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    };
    visit(this.root);
    return { at, machineBusyMs: machineBusyMs(stat), treeMs };
  }
}

/**
 * Between two readings: the share of all CPUs the machine was busy, and the share used outside the
 * tree (never below 0: a tree process that exited between the readings takes its time with it).
 */
export function cpuShares(before: CpuReading, after: CpuReading, cpus: number): { busy: number; outside: number } {
  const capacity = Math.max(1, after.at - before.at) * cpus;
  const busy = after.machineBusyMs - before.machineBusyMs;
  const tree = after.treeMs - before.treeMs;
  return { busy: Math.min(1, busy / capacity), outside: Math.max(0, Math.min(1, (busy - tree) / capacity)) };
}
