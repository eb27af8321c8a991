import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes the project registers on the Temporal server (see `mlops stack up`). */
export const PIPELINE = defineSearchAttributeKey('MlopsPipeline', SearchAttributeType.KEYWORD);
export const MODEL_FAMILIES = defineSearchAttributeKey('MlopsModelFamilies', SearchAttributeType.KEYWORD_LIST);
export const DATA_URI = defineSearchAttributeKey('MlopsDataUri', SearchAttributeType.KEYWORD);
export const OUTCOME = defineSearchAttributeKey('MlopsOutcome', SearchAttributeType.KEYWORD);
/** Model families of a run that wait for a human decision (`MlopsPendingApprovals IS NOT NULL` in the UI). */
export const PENDING_APPROVALS = defineSearchAttributeKey('MlopsPendingApprovals', SearchAttributeType.KEYWORD_LIST);

export const ALL_SEARCH_ATTRIBUTES = [PIPELINE, MODEL_FAMILIES, DATA_URI, OUTCOME, PENDING_APPROVALS];

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
