import assert from 'node:assert/strict';
import { cpuShares, MachineCpu, machineBusyMs, processCpuMs } from '../../../bench/lib/machine-cpu';

describe('bench machine CPU (bench-deploy: the CPU outside the stack)', () => {
  it('when /proc/stat is read, then busy time counts user, nice, system, irq, softirq and steal but not idle or iowait', () => {
    const stat = 'cpu  100 5 20 900 40 1 2 3 0 0\ncpu0 50 2 10 450 20 0 1 1 0 0\n';
    assert.equal(machineBusyMs(stat), (100 + 5 + 20 + 1 + 2 + 3) * 10);
  });

  it('when a command name holds spaces and parentheses, then the times are still read from the right fields', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    const stat = '4242 (node (tsx) x) S 1 4242 4242 0 -1 4194304 10 0 0 0 250 50 7 3 20 0 11 0';
    assert.equal(processCpuMs(stat), (250 + 50 + 7 + 3) * 10);
  });

  it('when the machine was busier than the tree, then the difference is the share used outside it', () => {
    const before = { at: 0, machineBusyMs: 1000, treeMs: 800 };
    const after = { at: 1000, machineBusyMs: 2600, treeMs: 1800 };
    assert.deepEqual(cpuShares(before, after, 2), { busy: 0.8, outside: 0.3 });
  });

  it('when a tree process exited between the readings, then the share outside is not negative', () => {
    assert.equal(cpuShares({ at: 0, machineBusyMs: 0, treeMs: 500 }, { at: 1000, machineBusyMs: 200, treeMs: 900 }, 2).outside, 0);
  });

  it('when run on Linux, then this process tree reads its own CPU time and the machine is at least as busy', function () {
    const machine = MachineCpu.create();
    if (!machine) this.skip();
    const before = machine!.read()!;
    const t0 = Date.now();
    while (Date.now() - t0 < 200) {
      // spend CPU in this process
    }
    const after = machine!.read()!;
    assert.ok(after.treeMs - before.treeMs >= 100, `the tree used ${after.treeMs - before.treeMs} ms`);
    assert.ok(after.machineBusyMs - before.machineBusyMs >= after.treeMs - before.treeMs - 20);
  });
});
