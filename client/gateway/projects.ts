import { listProjects } from '../../services/projects/project-file';

/**
 * The gateway's view of the stack's projects: each project file's name and families, read again
 * at most every `ttlMs` (a project added while the gateway runs is served within seconds). A
 * folder that cannot be read, or a broken project file, serves no project (each answers 404)
 * and is logged once per read; the demo's /v1/predict does not depend on it.
 */
export function projectLookup(projectsDir: string, ttlMs = 5000): (name: string) => Promise<{ families: string[] } | undefined> {
  let cached: { at: number; projects: Map<string, { families: string[] }> } | undefined;
  let loading: Promise<Map<string, { families: string[] }>> | undefined;
  const load = async () => {
    try {
      const all = await listProjects(projectsDir);
      return new Map(all.map(({ project }) => [project.name, { families: project.algorithms.filter((a) => a.enabled).map((a) => a.name) }]));
    } catch (err) {
      console.error(`${new Date().toISOString()} gateway: cannot read the projects in ${projectsDir}: ${(err as Error).message}`);
      return new Map<string, { families: string[] }>();
    }
  };
  return async (name) => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      loading ??= load().finally(() => (loading = undefined));
      cached = { at: Date.now(), projects: await loading };
    }
    return cached.projects.get(name);
  };
}
