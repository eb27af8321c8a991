import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { ProjectFile } from '../../../common/schemas/project';
import type { AutoscalingConfig, DeploymentPolicy, RollbackAlarms } from '../../../common/types/deployment';
import { inferProject, MAX_INIT_BYTES } from '../../../services/projects/infer';
import { listProjects, loadProject, readProjectFile, writeProjectFile } from '../../../services/projects/project-file';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { printJson, printTable } from '../output';

interface InitOptions {
  data: string;
  label: string;
  name?: string;
  id: string[];
  maxLevels?: number;
  json?: boolean;
}

export function registerProjectCommands(program: Command, ctx: CliContext): void {
  const project = program.command('project').description('projects: a model onboarded by configuration (projects/<name>/project.yaml)');

  project
    .command('init')
    .description('read a CSV once and write projects/<name>/project.yaml: the inferred dataset spec, algorithms, thresholds and policies (edit and commit it)')
    .requiredOption('--data <path>', 'a local CSV file with a header line')
    .requiredOption('--label <column>', 'the column to predict (numeric)')
    .option('--name <name>', "the project's name (default: the file's name)")
    .option('--id <column>', 'a column that identifies rows (kept out of the features; repeatable)', collect, [])
    .option('--max-levels <n>', 'most distinct values a text column may have to be a categorical feature (default 50)', parseMaxLevels)
    .option('--json', 'print the written project as JSON')
    .action(async (options: InitOptions) => {
      const file = path.resolve(options.data);
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat?.isFile()) throw new UsageError(`--data: ${options.data} is not a readable file`);
      if (stat.size > MAX_INIT_BYTES) throw new UsageError(`--data: ${options.data} is larger than ${MAX_INIT_BYTES} bytes; init reads a sample of the data, not all of it`);
      const name = options.name ?? defaultName(file);
      const repoRoot = path.dirname(ctx.config.projectsDir);
      const relative = path.relative(repoRoot, file);
      const dataRef = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
      const inferred = inferProject(await fs.readFile(file, 'utf8'), {
        file: options.data,
        label: options.label,
        name,
        idColumns: options.id,
        ...(options.maxLevels !== undefined ? { maxLevels: options.maxLevels } : {}),
        dataRef,
      });
      const written = await writeProjectFile(ctx.config.projectsDir, inferred, `Project '${name}', written by mlops project init from ${options.data}.\nEdit it (levels, rules, algorithms, policies), check it with mlops project validate ${name}, and commit it.`);
      if (options.json) return printJson({ file: written, project: inferred });
      console.log(`wrote ${written}`);
      console.log(summaryLines(inferred).join('\n'));
      console.log(`next: mlops project validate ${name}; mlops train --project ${name}`);
    });

  project
    .command('validate')
    .description('check project files (one, or every project) and say what is wrong, naming file, field and rule')
    .argument('[name]', 'a project name or a path to a project file (default: every project)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const checked = name === undefined ? await listProjects(ctx.config.projectsDir) : [await loadNameOrFile(ctx, name)];
      if (checked.length === 0) throw new UsageError(`no project files under ${ctx.config.projectsDir}`);
      if (options.json) return printJson({ valid: true, projects: checked.map((p) => ({ name: p.project.name, file: p.file })) });
      for (const p of checked) console.log(`ok  ${p.project.name}  ${p.file}`);
    });

  project
    .command('list')
    .description('list the projects of this stack')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const all = await listProjects(ctx.config.projectsDir);
      const rows = all.map(({ file, project: p }) => ({
        name: p.name,
        label: p.dataset.label.name,
        features: p.dataset.features.length,
        algorithms: p.algorithms.filter((a) => a.enabled).map((a) => a.name),
        file,
      }));
      if (options.json) return printJson(rows);
      printTable(
        ['NAME', 'LABEL', 'FEATURES', 'ALGORITHMS', 'FILE'],
        rows.map((r) => [r.name, r.label, r.features, r.algorithms.join(','), r.file]),
      );
    });

  project
    .command('show')
    .description("show one project's dataset spec, algorithms and policies")
    .argument('<name>', 'the project name')
    .option('--json', 'print the project file as JSON (defaults filled in)')
    .action(async (name: string, options: { json?: boolean }) => {
      const { file, project: p } = await loadProject(ctx.config.projectsDir, name);
      if (options.json) return printJson({ file, project: p });
      console.log(`${p.name}  (${file})`);
      if (p.description) console.log(p.description);
      console.log(summaryLines(p).join('\n'));
    });
}

async function loadNameOrFile(ctx: CliContext, nameOrFile: string) {
  if (nameOrFile.includes('/') || nameOrFile.endsWith('.yaml') || nameOrFile.endsWith('.yml')) {
    const file = path.resolve(nameOrFile);
    return { file, project: await readProjectFile(file) };
  }
  return loadProject(ctx.config.projectsDir, nameOrFile);
}

function summaryLines(p: ProjectFile): string[] {
  const d = p.dataset;
  const features = d.features.map((f) => {
    const rule = f.type === 'categorical' ? `${f.levels?.length ?? '?'} levels, unseen: ${f.unseen ?? 'reject'}` : f.allowed ? `allowed ${f.allowed.join('/')}` : [f.min !== undefined ? `>= ${f.min}` : '', f.max !== undefined ? `<= ${f.max}` : ''].filter(Boolean).join(' ');
    const missing = f.missing && f.missing !== 'reject' ? `, missing: ${f.missing}${f.impute ? ` (${f.impute})` : ''}` : '';
    const share = f.profile?.missingShare ? ` [${(f.profile.missingShare * 100).toFixed(1)}% missing]` : '';
    return `    ${f.name}: ${f.type}${rule ? `, ${rule}` : ''}${missing}${share}`;
  });
  return [
    `  label: ${d.label.name} (${d.label.type})${d.label.missing === 'drop' ? ', rows without it dropped' : ''}`,
    `  id columns: ${d.idColumns.length ? d.idColumns.join(', ') : 'none'}`,
    `  features (${d.features.length}):`,
    ...features,
    `  algorithms: ${p.algorithms.map((a) => `${a.name} (${a.kind}${a.enabled ? '' : ', disabled'})`).join(', ')}`,
    `  approval: ${p.training?.approval?.policy ?? 'auto'}; deployment: ${p.deployment?.enabled === false ? 'off' : 'on'}; monitoring every ${p.monitoring?.every ?? '-'}; retraining: ${p.retraining?.policy ?? 'notify'}`,
    ...(p.deployment?.enabled === false ? [] : deploymentLines(p)),
  ];
}

/** Step 10 as the project sets it: the policy, alarms and autoscaling, then each algorithm's own. */
function deploymentLines(p: ProjectFile): string[] {
  const d = p.deployment;
  const lines = [`  deployment policy: ${policyText(d?.policy)}`];
  if (d?.alarms) lines.push(`    rollback alarms: ${alarmsText(d.alarms)}`);
  if (d?.autoscaling) lines.push(`    autoscaling: ${autoscalingText(d.autoscaling)}`);
  for (const a of p.algorithms) {
    const own = a.deployment;
    if (!own) continue;
    const parts = [
      ...(own.policy ? [policyText(own.policy)] : []),
      ...(own.alarms ? [`rollback alarms: ${alarmsText(own.alarms)}`] : []),
      ...(own.autoscaling === null ? ['no autoscaling'] : own.autoscaling ? [`autoscaling: ${autoscalingText(own.autoscaling)}`] : []),
    ];
    if (parts.length) lines.push(`    ${a.name}: ${parts.join('; ')}`);
  }
  return lines;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

function policyText(policy: DeploymentPolicy | undefined): string {
  if (!policy) return 'all-at-once (the default)';
  const bake = `, final bake ${policy.finalBake}`;
  switch (policy.type) {
    case 'all-at-once':
      return `all-at-once${bake}`;
    case 'canary':
      return `canary: ${percent(policy.canaryShare)} for ${policy.canaryBake}, then all${bake}`;
    case 'linear':
      return `linear: ${percent(policy.stepShare)} more every ${policy.stepInterval}${bake}`;
    case 'shadow':
      return `shadow: ${percent(policy.shadowShare)} mirrored for ${policy.shadowPeriod}, promotion ${policy.promotion}${bake}`;
  }
}

function alarmsText(alarms: RollbackAlarms): string {
  const sanity = alarms.predictionSanity ? `, out-of-range predictions > ${percent(alarms.predictionSanity.maxOutOfRangeShare)}` : '';
  return `error rate > ${percent(alarms.maxErrorRate)}, p99 > ${alarms.maxP99LatencyMs} ms${sanity} (read every ${alarms.evaluationInterval} over ${alarms.window})`;
}

function autoscalingText(a: AutoscalingConfig): string {
  return `${a.minInstances}-${a.maxInstances} instances at ${a.targetInvocationsPerInstancePerMinute} invocations per instance per minute`;
}

function defaultName(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return base.length >= 2 ? base : 'project';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseMaxLevels(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('an integer from 1 to 1000');
  return n;
}
