import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes the project registers on the Temporal server (see `mlops stack up`). */
export const PIPELINE = defineSearchAttributeKey('MlopsPipeline', SearchAttributeType.KEYWORD);
export const MODEL_FAMILIES = defineSearchAttributeKey('MlopsModelFamilies', SearchAttributeType.KEYWORD_LIST);
export const DATA_URI = defineSearchAttributeKey('MlopsDataUri', SearchAttributeType.KEYWORD);
export const OUTCOME = defineSearchAttributeKey('MlopsOutcome', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [PIPELINE, MODEL_FAMILIES, DATA_URI, OUTCOME];

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
