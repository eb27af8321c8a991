import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { CliContext } from '../../../../client/cli/context';
import { buildProgram } from '../../../../client/cli/program';

/** Every command of the program, with its path (`schedule create monitoring`). */
function commands(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return [{ path, command }, ...command.commands.flatMap((c) => commands(c, [...path, c.name()]))];
}

describe('mlops --help (every command, in process)', () => {
  const program = buildProgram(new CliContext());
  const all = commands(program);

  it('registers the commands the README documents', () => {
    const names = all.map((c) => c.path.join(' '));
    for (const expected of ['stack up', 'train', 'data put', 'score', 'predict', 'runs list', 'runs show', 'models list', 'models show', 'models policy', 'approve', 'retraining approve', 'monitor run-now', 'schedule create monitoring', 'schedule list', 'schedule pause', 'schedule resume', 'schedule trigger', 'schedule delete', 'dashboard', 'config']) {
      assert.ok(names.includes(expected), `mlops ${expected} is missing (have: ${names.join(', ')})`);
    }
  });

  it('when a command does something (it has no subcommands), then it has --json', () => {
    const missing = all.filter((c) => c.path.length > 0 && c.command.commands.length === 0 && !c.command.options.some((o) => o.long === '--json')).map((c) => c.path.join(' '));
    assert.deepEqual(missing, []);
  });

  it('when a command addresses one project\'s models, runs or endpoints, then it takes --project (issue 15)', () => {
    const perProject = [
      'train', 'score', 'predict', 'models list', 'models show', 'models policy', 'models rollback', 'approvals', 'approve', 'reject',
      'retraining approve', 'retraining reject', 'monitor run-now', 'schedule create monitoring', 'schedule list', 'endpoints list',
      'deployments list', 'notifications', 'runs list', 'dashboard',
    ];
    const missing = perProject.filter((p) => !all.find((c) => c.path.join(' ') === p)?.command.options.some((o) => o.long === '--project'));
    assert.deepEqual(missing, []);
  });

  it('when runs and run-now are asked for help, then they name every pipeline, the filter and the current-minute option', () => {
    // Commander wraps to the terminal's width: compare with single spaces.
    const help = (p: string) => all.find((c) => c.path.join(' ') === p)!.command.helpInformation().replace(/\s+/g, ' ');
    assert.match(help('runs list'), /--pipeline <name> .*\(choices: "training", "scoring", "monitoring", "lifecycle"\)/);
    assert.match(help('runs show'), /monitoring/);
    assert.match(help('monitor run-now'), /--include-current-minute/);
    assert.match(help('monitor run-now'), /monitoring-<family>\/manual/);
    assert.doesNotMatch(help('predict'), /module:/, 'a request may not choose a module combiner');
  });

  for (const { path, command } of all) {
    it(`mlops ${path.join(' ') || '(root)'} --help describes it and its options`, () => {
      assert.ok(command.description().length > 10, 'a description');
      const help = command.helpInformation();
      assert.match(help, /^Usage: /);
      for (const option of command.options) assert.ok(option.description.length > 0, `${option.flags} has a description`);
    });
  }
});
