import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/**
 * Who a process is, precisely enough for another process to tell later whether it still runs: the
 * pid alone is not (pids are reused, and a pid means nothing in another container or after a
 * reboot). Written into lock files; a job record can carry the same identity for its runner.
 */
export interface ProcessIdentity {
  pid: number;
  /** `os.hostname()`: under Docker, the container's own name. */
  host: string;
  /** The kernel's boot id (Linux): the same host after a reboot runs none of the processes it ran before. */
  boot?: string;
  /** The pid namespace (Linux): the same pid in another namespace (container) is another process. */
  pidNamespace?: string;
  /** Start time of the process in clock ticks since boot (Linux /proc/<pid>/stat): tells a reused pid apart. */
  startTicks?: string;
}

/** `dead`: proven gone; `alive`: runs (or cannot be proven gone) here; `unknown`: it runs elsewhere, so only a lease can tell. */
export type Liveness = 'alive' | 'dead' | 'unknown';

let self: ProcessIdentity | undefined;

/** This process's identity (computed once). */
export function currentProcess(): ProcessIdentity {
  if (!self) {
    const boot = readText('/proc/sys/kernel/random/boot_id');
    const pidNamespace = readLink('/proc/self/ns/pid');
    const startTicks = procStat(process.pid)?.startTicks;
    self = {
      pid: process.pid,
      host: os.hostname(),
      ...(boot ? { boot } : {}),
      ...(pidNamespace ? { pidNamespace } : {}),
      ...(startTicks ? { startTicks } : {}),
    };
  }
  return self;
}

/**
 * The identity of a process of this host and pid namespace (a child just spawned): this process's
 * host, boot and namespace with the child's own pid and start time.
 */
export function identityOfLocalProcess(pid: number): ProcessIdentity {
  const me = currentProcess();
  const startTicks = procStat(pid)?.startTicks;
  return {
    pid,
    host: me.host,
    ...(me.boot ? { boot: me.boot } : {}),
    ...(me.pidNamespace ? { pidNamespace: me.pidNamespace } : {}),
    ...(startTicks ? { startTicks } : {}),
  };
}

/** Whether two identities name the same process (same pid, host, boot, namespace and start time). */
export function isSameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.host === b.host && a.boot === b.boot && a.pidNamespace === b.pidNamespace && a.startTicks === b.startTicks;
}

/**
 * Whether `other` is proven to be a process that runs now, here, and is the very process the
 * identity was taken of (its start time matches): the only case in which signalling its pid cannot
 * reach another process. Without procfs (not Linux) nothing can be proven this way.
 */
export function isProvenAlive(other: ProcessIdentity): boolean {
  return other.startTicks !== undefined && livenessOf(other) === 'alive';
}

/** Whether `other` ran on this host before its last reboot (so it is gone, whatever else is true). */
export function ranBeforeReboot(other: ProcessIdentity): boolean {
  const me = currentProcess();
  return other.host === me.host && other.boot !== undefined && me.boot !== undefined && other.boot !== me.boot;
}

/**
 * Whether the process `other` names still runs, as far as this process can see: only a process of
 * this host, boot and pid namespace can be proven dead (gone, a zombie, or its pid now belongs to a
 * process started at another time). A process of another host or container is `unknown`.
 */
export function livenessOf(other: ProcessIdentity): Liveness {
  const me = currentProcess();
  if (other.host !== me.host) return 'unknown';
  // Same host name, another boot: the machine restarted since, so the process is gone.
  if (other.boot && me.boot && other.boot !== me.boot) return 'dead';
  if (other.pidNamespace !== me.pidNamespace) return 'unknown';
  const stat = procStat(other.pid);
  if (stat === null) return signalZero(other.pid);
  if (stat === undefined || stat.state === 'Z') return 'dead';
  if (other.startTicks && stat.startTicks !== other.startTicks) return 'dead';
  return 'alive';
}

/** `/proc/<pid>/stat`: undefined when the process does not exist, null when there is no procfs (not Linux). */
function procStat(pid: number): { state: string; startTicks: string } | undefined | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return existsProcfs() ? undefined : null;
    return null;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state && startTicks ? { state, startTicks } : null;
}

function existsProcfs(): boolean {
  return readLink('/proc/self') !== undefined;
}

function signalZero(pid: number): Liveness {
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function readLink(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}
