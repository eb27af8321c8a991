import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { projectOf } from './project';

/** Custom search attributes the project registers on the Temporal server (see `mlops stack up`). */
export const PIPELINE = defineSearchAttributeKey('MlopsPipeline', SearchAttributeType.KEYWORD);
export const MODEL_FAMILIES = defineSearchAttributeKey('MlopsModelFamilies', SearchAttributeType.KEYWORD_LIST);
export const DATA_URI = defineSearchAttributeKey('MlopsDataUri', SearchAttributeType.KEYWORD);
export const OUTCOME = defineSearchAttributeKey('MlopsOutcome', SearchAttributeType.KEYWORD);
/** Model families of a run that wait for a human decision (`MlopsPendingApprovals IS NOT NULL` in the UI). */
export const PENDING_APPROVALS = defineSearchAttributeKey('MlopsPendingApprovals', SearchAttributeType.KEYWORD_LIST);

/**
 * The project a run belongs to (`used-cars` for the demo), on every workflow a project's runs start,
 * so the UI and `mlops runs list --project` filter by it. Runs started before projects carry none
 * and belong to the demo project (projectOf).
 */
export const PROJECT = defineSearchAttributeKey('MlopsProject', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [PIPELINE, MODEL_FAMILIES, DATA_URI, OUTCOME, PENDING_APPROVALS, PROJECT];

/** The MlopsProject pair of a start (absent project: the demo project). */
export function projectAttribute(project: string | undefined | null): SearchAttributePair {
  return { key: PROJECT, value: projectOf(project) };
}

/** `Name=Type` strings as `temporal server start-dev --search-attribute` expects them. */
export function searchAttributeFlags(): string[] {
  const names: Record<string, string> = {
    [SearchAttributeType.KEYWORD]: 'Keyword',
    [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
    [SearchAttributeType.TEXT]: 'Text',
    [SearchAttributeType.INT]: 'Int',
    [SearchAttributeType.DOUBLE]: 'Double',
    [SearchAttributeType.BOOL]: 'Bool',
    [SearchAttributeType.DATETIME]: 'Datetime',
  };
  return ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${names[key.type]}`);
}
