import { parameterNames, type ChampionField } from '../../common/artifacts';
import type { Champion } from '../../common/types/champion';
import type { ModelFamily } from '../../common/types/model';
import { isDefaultProject, projectOf } from '../../common/project';
import type { Parameter, ParameterStore } from '../backends/types';

/**
 * The one reader and the one writer of a family's champion record. The record is written as one
 * JSON parameter (`/mlops/<family>/champion/record`), last, after the per-field parameters people
 * and other tools read (`.../champion/model-name`, `.../endpoint-name`, ...): a reader sees either
 * the previous champion or the new one, never a mix of both.
 */

const FIELDS: { field: ChampionField; get: (c: Champion) => string | undefined }[] = [
  { field: 'model-name', get: (c) => c.modelName },
  { field: 'model-version', get: (c) => String(c.modelVersion) },
  { field: 'model-artifact-uri', get: (c) => c.modelArtifactUri },
  { field: 'feature-schema-uri', get: (c) => c.featureSchemaUri },
  { field: 'training-data-uri', get: (c) => c.trainingDataUri },
  { field: 'data-quality-statistics-uri', get: (c) => c.dataQualityBaseline?.statisticsUri },
  { field: 'data-quality-constraints-uri', get: (c) => c.dataQualityBaseline?.constraintsUri },
  { field: 'model-quality-statistics-uri', get: (c) => c.modelQualityBaseline?.statisticsUri },
  { field: 'model-quality-constraints-uri', get: (c) => c.modelQualityBaseline?.constraintsUri },
  { field: 'endpoint-name', get: (c) => c.endpointName },
  { field: 'endpoint-config-name', get: (c) => c.endpointConfigName },
];

/**
 * Writes the champion's fields, then its record, in one change where the store can (the local
 * store: one write of its document instead of a locked write per field); returns the parameter
 * names written.
 */
export async function writeChampion(parameters: ParameterStore, champion: Champion): Promise<string[]> {
  const entries: { name: string; value: string }[] = [];
  for (const { field, get } of FIELDS) {
    const value = get(champion);
    if (value) entries.push({ name: parameterNames.champion(champion.family, field, champion.project), value });
  }
  entries.push({ name: parameterNames.championRecord(champion.family, champion.project), value: JSON.stringify(champion) });
  if (parameters.putMany) await parameters.putMany(entries);
  else for (const { name, value } of entries) await parameters.put(name, value);
  return entries.map((e) => e.name);
}

/** The family's champion in its project, or undefined when none was exported (or the record is unusable). */
export async function readChampion(parameters: ParameterStore, family: ModelFamily, project?: string): Promise<Champion | undefined> {
  const found = await parameters.getByPath(parameterNames.championPrefix(family, project));
  const byName = new Map(found.map((p) => [p.name, p]));
  const record = byName.get(parameterNames.championRecord(family, project));
  if (record) return parseRecord(record, family, project);
  // Champions exported before the record existed are all the demo project's.
  return isDefaultProject(project) ? fromFields(family, byName) : undefined;
}

function parseRecord(p: Parameter, family: ModelFamily, project: string | undefined): Champion | undefined {
  let value: unknown;
  try {
    value = JSON.parse(p.value);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Partial<Champion>;
  if (c.family !== family || projectOf(c.project) !== projectOf(project) || typeof c.modelName !== 'string' || typeof c.modelVersion !== 'number' || typeof c.modelArtifactUri !== 'string' || typeof c.featureSchemaUri !== 'string') return undefined;
  return c as Champion;
}

/** Champions exported before the record existed: assembled from the per-field parameters. */
function fromFields(family: ModelFamily, byName: Map<string, Parameter>): Champion | undefined {
  const get = (field: ChampionField) => byName.get(parameterNames.champion(family, field))?.value || undefined;
  const modelName = get('model-name');
  const version = Number(get('model-version'));
  const modelArtifactUri = get('model-artifact-uri');
  const featureSchemaUri = get('feature-schema-uri');
  if (!modelName || !Number.isInteger(version) || !modelArtifactUri || !featureSchemaUri) return undefined;
  const baseline = (statisticsUri: string | undefined, constraintsUri: string | undefined) => (statisticsUri && constraintsUri ? { statisticsUri, constraintsUri } : undefined);
  const dataQualityBaseline = baseline(get('data-quality-statistics-uri'), get('data-quality-constraints-uri'));
  const modelQualityBaseline = baseline(get('model-quality-statistics-uri'), get('model-quality-constraints-uri'));
  const optional = { trainingDataUri: get('training-data-uri'), endpointName: get('endpoint-name'), endpointConfigName: get('endpoint-config-name') };
  return {
    family,
    modelName,
    modelVersion: version,
    modelArtifactUri,
    featureSchemaUri,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...(dataQualityBaseline ? { dataQualityBaseline } : {}),
    ...(modelQualityBaseline ? { modelQualityBaseline } : {}),
  };
}
