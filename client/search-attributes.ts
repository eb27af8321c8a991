import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES, searchAttributeFlags } from '../common/search-attributes';

const INDEXED: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** gRPC ALREADY_EXISTS: another process registered the attribute between our list and add. */
const ALREADY_EXISTS = 6;

/** The server refused to register an attribute a start sets: every such start would fail, so say how to fix it. */
export class SearchAttributesMissingError extends Error {
  constructor(namespace: string, missing: string[], cause: unknown) {
    const how = missing.map((flag) => `temporal operator search-attribute create --namespace ${namespace} --name ${flag.replace('=', ' --type ')}`).join('; ');
    super(
      `search attributes ${missing.join(', ')} must be registered in namespace ${namespace} before runs start (a start that sets an unregistered attribute is refused), ` +
        `and registering them failed (${cause instanceof Error ? cause.message : String(cause)}); ask the server's operator to run: ${how}`,
    );
    this.name = 'SearchAttributesMissingError';
  }
}

/**
 * Registers the project's search attributes on a server that did not get them at start (a
 * Temporal cluster someone else runs, a dev server from before an attribute existed, the
 * time-skipping test server). Attributes that exist are kept; one registered concurrently by
 * another worker is fine; a server that refuses gets a SearchAttributesMissingError naming the rule.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  // Without a listing (no operator rights to list) every attribute is tried; the add says what exists.
  const existing = await connection.operatorService.listSearchAttributes({ namespace }).catch(() => undefined);
  const known = new Set([...Object.keys(existing?.customAttributes ?? {}), ...Object.keys(existing?.systemAttributes ?? {})]);
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !known.has(k.name));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED[k.type]!])),
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === ALREADY_EXISTS) return;
    // No operator rights (a managed namespace): the attributes may exist all the same; a query by
    // each one, which a namespace's user may run, tells.
    if (await allQueryable(connection, namespace, missing.map((k) => k.name))) return;
    const flags = searchAttributeFlags().filter((flag) => missing.some((k) => flag.startsWith(`${k.name}=`)));
    throw new SearchAttributesMissingError(namespace, flags, err);
  }
}

/** Whether the server accepts a visibility query by each attribute (it refuses an unknown one). */
async function allQueryable(connection: Connection, namespace: string, names: string[]): Promise<boolean> {
  for (const name of names) {
    const ok = await connection.workflowService.countWorkflowExecutions({ namespace, query: `${name} = 'mlops-probe'` }).then(
      () => true,
      () => false,
    );
    if (!ok) return false;
  }
  return true;
}
