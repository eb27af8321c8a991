import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isModelFamily } from '../../common/types/model';
import type { Config } from '../../common/config/schema';
import type { ObjectCreatedEvent } from './event-schemas';
import { isDefaultProject, PROJECT_NAME_PATTERN } from '../../common/project';
import { listProjects } from '../../services/projects/project-file';

const projectNameSchema = z.string().regex(PROJECT_NAME_PATTERN, 'a project name (2-24 lower-case letters, digits or inner hyphens)');

/**
 * Routing rules: which object starts which pipeline. Read once at start from
 * MLOPS_WEBHOOK_ROUTES (a JSON file) or the defaults; the first rule that matches an event wins.
 */

export const PIPELINES = ['training', 'scoring'] as const;
export type PipelineName = (typeof PIPELINES)[number];

/** What a training rule may set on the run (the options of `mlops train`). */
export const trainingParametersSchema = z.strictObject({
  threshold: z.number().positive().optional(),
  approval: z.enum(['auto', 'manual', 'manual-first-version']).optional(),
  deploy: z.boolean().optional(),
  /** A training configuration JSON file; relative paths are resolved against the routes file. */
  configFile: z.string().min(1).optional(),
  /** The project the data trains (projects/<name>/project.yaml; default: the demo). */
  project: projectNameSchema.optional(),
});
export type TrainingParameters = z.infer<typeof trainingParametersSchema>;

/** Parameters a scoring rule may set: which families score (default every champion). */
export const scoringParametersSchema = z.strictObject({
  families: z.array(z.string().refine(isModelFamily, 'a model family name (lower-case letters, digits, inner hyphens)')).min(1).optional(),
  /** The project whose champions score the data (default: the demo). */
  project: projectNameSchema.optional(),
});

export const routeRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name'),
    prefix: z.string().min(1).optional(),
    suffix: z.string().min(1).optional(),
    pipeline: z.enum(PIPELINES),
    parameters: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.parameters === undefined) return;
    // A scoring rule's other parameters are its starter's to check; its project names its routes and ids.
    const parsed = rule.pipeline === 'training' ? trainingParametersSchema.safeParse(rule.parameters) : z.object({ project: projectNameSchema.optional() }).safeParse(rule.parameters);
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      ctx.addIssue({ code: 'custom', path: ['parameters', ...issue.path], message: issue.message });
    }
  });

export type RouteRule = z.infer<typeof routeRuleSchema>;

const routesFileSchema = z.union([z.array(z.unknown()), z.strictObject({ routes: z.array(z.unknown()) })]);

/** The routes file is unusable: the message names the file and the rule. */
export class RoutesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoutesError';
  }
}

/**
 * Without a routes file: `training/<project>/*.csv` trains and `scoring/<project>/*.csv` scores
 * that project (each project of the stack but the demo, before the general rules), then
 * `training/*.csv` trains and `scoring/*.csv` scores the demo, in the configured bucket.
 */
export function defaultRoutes(bucket: string, projects: readonly string[] = []): RouteRule[] {
  return [
    ...projects.flatMap((project): RouteRule[] => [
      { name: `training-${project}`, bucket, prefix: `training/${project}/`, suffix: '.csv', pipeline: 'training', parameters: { project } },
      { name: `scoring-${project}`, bucket, prefix: `scoring/${project}/`, suffix: '.csv', pipeline: 'scoring', parameters: { project } },
    ]),
    { name: 'training-data', bucket, prefix: 'training/', suffix: '.csv', pipeline: 'training' },
    { name: 'scoring-data', bucket, prefix: 'scoring/', suffix: '.csv', pipeline: 'scoring' },
  ];
}

/**
 * Validates the rules of a routes document (`[...]` or `{"routes": [...]}`); `source` names the
 * file in errors. Relative `configFile`s of training rules are resolved against `baseDir`.
 */
export function parseRoutes(document: unknown, source: string, baseDir: string): RouteRule[] {
  const top = routesFileSchema.safeParse(document);
  if (!top.success) throw new RoutesError(`${source}: expected a JSON array of rules or {"routes": [...]}`);
  const items = Array.isArray(top.data) ? top.data : top.data.routes;
  if (items.length === 0) throw new RoutesError(`${source}: no rules (the webhook would start nothing)`);
  const names = new Set<string>();
  return items.map((item, index) => {
    const label = `rule ${index + 1}${isNamed(item) ? ` ('${item.name}')` : ''}`;
    const parsed = routeRuleSchema.safeParse(item);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'rule'}: ${i.message}`).join('; ');
      throw new RoutesError(`${source}: ${label}: ${problems}`);
    }
    const rule = parsed.data;
    if (names.has(rule.name)) throw new RoutesError(`${source}: ${label}: the name '${rule.name}' is used twice`);
    names.add(rule.name);
    const configFile = rule.parameters?.configFile;
    if (rule.pipeline === 'training' && typeof configFile === 'string') {
      return { ...rule, parameters: { ...rule.parameters, configFile: path.resolve(baseDir, configFile) } };
    }
    return rule;
  });
}

/** The rules in effect: the MLOPS_WEBHOOK_ROUTES file when set (every problem is a RoutesError), else the defaults. */
export async function loadRoutes(config: Pick<Config, 'webhookRoutes' | 'bucket'> & Partial<Pick<Config, 'projectsDir'>>): Promise<RouteRule[]> {
  const file = config.webhookRoutes;
  if (!file) return defaultRoutes(config.bucket, config.projectsDir ? await stackProjects(config.projectsDir) : []);
  const source = `MLOPS_WEBHOOK_ROUTES (${file})`;
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new RoutesError(`${source}: cannot read the file (${err.code ?? err.message})`);
  });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new RoutesError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const rules = parseRoutes(document, source, path.dirname(file));
  for (const [index, rule] of rules.entries()) {
    const configFile = rule.parameters?.configFile;
    if (typeof configFile !== 'string') continue;
    const stat = await fs.stat(configFile).catch(() => undefined);
    if (!stat?.isFile()) throw new RoutesError(`${source}: rule ${index + 1} ('${rule.name}'): parameters.configFile: ${configFile} is not a file`);
  }
  return rules;
}

/** The first rule whose bucket, prefix and suffix all match the (decoded) key; undefined when none does. */
export function matchRoute(rules: readonly RouteRule[], event: Pick<ObjectCreatedEvent, 'bucket' | 'key'>): RouteRule | undefined {
  return rules.find(
    (rule) =>
      rule.bucket === event.bucket && (rule.prefix === undefined || event.key.startsWith(rule.prefix)) && (rule.suffix === undefined || event.key.endsWith(rule.suffix)),
  );
}

/** The projects of the stack besides the demo; a broken project file stops the start with its message. */
async function stackProjects(projectsDir: string): Promise<string[]> {
  try {
    return (await listProjects(projectsDir)).map((p) => p.project.name).filter((name) => !isDefaultProject(name));
  } catch (err) {
    throw new RoutesError(`the default routes need the projects of the stack: ${(err as Error).message}`);
  }
}

/** The route of a project's data: the rule's `project` parameter (absent: the demo). */
export function routeProject(route: RouteRule): string | undefined {
  const project = route.parameters?.project;
  return typeof project === 'string' && !isDefaultProject(project) ? project : undefined;
}

function isNamed(item: unknown): item is { name: string } {
  return typeof item === 'object' && item !== null && typeof (item as { name?: unknown }).name === 'string';
}
