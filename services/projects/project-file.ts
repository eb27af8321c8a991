import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { DEFAULT_PROJECT, isDefaultProject, modelSlug, projectNameProblem, projectOf } from '../../common/project';
import { DEMO_MODEL_FAMILIES } from '../../common/types/model';
import { projectFileSchema, type ProjectFile } from '../../common/schemas/project';
import { issueLines } from '../../common/schemas/run-settings';
import { UsageError } from '../usage-error';

/**
 * The project files of a stack: `<projectsDir>/<name>/project.yaml`, one per project. Read,
 * checked with the zod schema (common/schemas/project.ts) and refused with one message naming the
 * file, the field and the rule. Every edge that takes `--project NAME` loads the project here.
 */

export const PROJECT_FILE_NAME = 'project.yaml';

/** A project file as read: where it is and what it says. */
export interface LoadedProject {
  file: string;
  project: ProjectFile;
}

/** The largest project file read (a dataset spec of a few hundred columns is far below it). */
const MAX_PROJECT_FILE_BYTES = 1024 * 1024;

export function projectFilePath(projectsDir: string, name: string): string {
  return path.join(projectsDir, name, PROJECT_FILE_NAME);
}

/** Parses and checks the text of a project file; `file` names it in every message. */
export function parseProjectFile(text: string, file: string): ProjectFile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = first.linePos?.[0]?.line;
    throw new UsageError(`${file}${line !== undefined ? `:${line}` : ''}: not valid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const parsed = projectFileSchema.safeParse(doc.toJS({ maxAliasCount: 50 }));
  if (!parsed.success) throw new UsageError(`${file}: ${issueLines(parsed.error).join('; ')}`);
  return parsed.data;
}

/** Reads one project file; `expectedName` (its directory) must be the name it declares. */
export async function readProjectFile(file: string, expectedName?: string): Promise<ProjectFile> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new UsageError(`${file}: no such project file`);
  }
  if (!stat.isFile()) throw new UsageError(`${file}: not a file`);
  if (stat.size > MAX_PROJECT_FILE_BYTES) throw new UsageError(`${file}: larger than ${MAX_PROJECT_FILE_BYTES} bytes; a project file holds a dataset spec and settings, not data`);
  const project = parseProjectFile(await fs.readFile(file, 'utf8'), file);
  if (expectedName !== undefined && project.name !== expectedName) {
    throw new UsageError(`${file}: name: '${project.name}' differs from its directory '${expectedName}' (a project lives in projects/<name>/)`);
  }
  return project;
}

/**
 * Every project file under the folder, sorted by name. Two files that declare one name are
 * refused (each name its runs' registry groups, endpoints and parameters: a second would share them).
 */
export async function listProjects(projectsDir: string): Promise<LoadedProject[]> {
  let entries;
  try {
    entries = await fs.readdir(projectsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: LoadedProject[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = projectFilePath(projectsDir, entry.name);
    if (!(await exists(file))) continue;
    found.push({ file, project: await readProjectFile(file) });
  }
  const byName = new Map<string, string>();
  for (const { file, project } of found) {
    const other = byName.get(project.name);
    if (other) throw new UsageError(`${file}: name: project '${project.name}' is already declared by ${other} (project names are unique on a stack)`);
    byName.set(project.name, file);
  }
  for (const { file, project } of found) {
    const dir = path.basename(path.dirname(file));
    if (dir !== project.name) throw new UsageError(`${file}: name: '${project.name}' differs from its directory '${dir}' (a project lives in projects/<name>/)`);
  }
  refuseSharedNames(found);
  return found;
}

/**
 * Two projects' models must never meet in one name. Endpoints, registry groups, schedules and file
 * names join project and family with a hyphen (`<project>-<family>`; the demo's are `<family>`
 * alone), so project `linear` with algorithm `learner` would spell the demo's `linear-learner`, and
 * `a` + `b-c` would spell `a-b` + `c`. Parameter paths are `/mlops/<project>/<family>/...` beside
 * the demo's `/mlops/<family>/...`, so a project may not be named like a demo family.
 */
function refuseSharedNames(found: LoadedProject[]): void {
  const demo = found.find((p) => isDefaultProject(p.project.name));
  const demoFamilies: readonly string[] = demo ? demo.project.algorithms.map((a) => a.name) : DEMO_MODEL_FAMILIES;
  const slugs = new Map<string, string>(demoFamilies.map((f) => [f, `project '${DEFAULT_PROJECT}' algorithm '${f}'`]));
  for (const { file, project } of found) {
    if (isDefaultProject(project.name)) continue;
    if (demoFamilies.includes(project.name)) {
      throw new UsageError(`${file}: name: project '${project.name}' is named like an algorithm of project '${DEFAULT_PROJECT}' (its parameters under /mlops/${project.name}/ would be shared): choose another name`);
    }
    project.algorithms.forEach((a, i) => {
      const slug = modelSlug(project.name, a.name);
      const other = slugs.get(slug);
      if (other) throw new UsageError(`${file}: algorithms[${i}].name: project '${project.name}' algorithm '${a.name}' would be named '${slug}' like ${other} (endpoints, registry groups and schedules would be shared): rename one`);
      slugs.set(slug, `project '${project.name}' algorithm '${a.name}'`);
    });
  }
}

/** The project named `name` (default: the demo project), or a UsageError naming the projects there are. */
export async function loadProject(projectsDir: string, name: string | undefined): Promise<LoadedProject> {
  const wanted = projectOf(name);
  const problem = projectNameProblem(wanted);
  if (problem) throw new UsageError(`--project: '${wanted}' ${problem}`);
  const all = await listProjects(projectsDir);
  const found = all.find((p) => p.project.name === wanted);
  if (!found) {
    const known = all.map((p) => p.project.name);
    throw new UsageError(`unknown project '${wanted}' (projects in ${projectsDir}: ${known.length ? known.join(', ') : 'none'}; create one with mlops project init)`);
  }
  return found;
}

/** Writes a new project file; refuses to overwrite one (a person edits and commits it). */
export async function writeProjectFile(projectsDir: string, project: ProjectFile, header: string): Promise<string> {
  const file = projectFilePath(projectsDir, project.name);
  const others = await listProjects(projectsDir);
  const clash = others.find((p) => p.project.name === project.name);
  if (clash || (await exists(file))) throw new UsageError(`project '${project.name}' already exists (${clash?.file ?? file}); choose another --name or edit that file`);
  refuseSharedNames([...others, { file, project }]);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const body = `${header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n')}\n${stringify(project, { lineWidth: 120 })}`;
  await fs.writeFile(file, body, { flag: 'wx' });
  return file;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

export { DEFAULT_PROJECT };
