import assert from 'node:assert/strict';
import type { Connection } from '@temporalio/client';
import { registerSearchAttributes, SearchAttributesMissingError } from '../../../client/search-attributes';
import { ALL_SEARCH_ATTRIBUTES, PROJECT } from '../../../common/search-attributes';

/** An operator service that knows `known` and answers an add with `addError` (or registers). */
function fakeConnection(known: string[], addError?: Error & { code?: number }, queryable: string[] = known) {
  const added: string[][] = [];
  const connection = {
    workflowService: {
      countWorkflowExecutions: (request: { query: string }) =>
        queryable.some((name) => request.query.startsWith(`${name} =`)) ? Promise.resolve({ count: 0 }) : Promise.reject(grpcError(3, `invalid query: ${request.query}`)),
    },
    operatorService: {
      listSearchAttributes: () => Promise.resolve({ customAttributes: Object.fromEntries(known.map((k) => [k, 2])), systemAttributes: { WorkflowId: 2 } }),
      addSearchAttributes: (request: { searchAttributes: Record<string, number> }) => {
        added.push(Object.keys(request.searchAttributes));
        return addError ? Promise.reject(addError) : Promise.resolve({});
      },
    },
  } as unknown as Connection;
  return { connection, added };
}

const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });

describe('client/search-attributes', () => {
  it('when the server lacks only MlopsProject, then only it is added', async () => {
    const { connection, added } = fakeConnection(ALL_SEARCH_ATTRIBUTES.filter((k) => k !== PROJECT).map((k) => k.name));
    await registerSearchAttributes(connection, 'default');
    assert.deepEqual(added, [[PROJECT.name]]);
  });

  it('when every attribute exists, then nothing is added', async () => {
    const { connection, added } = fakeConnection(ALL_SEARCH_ATTRIBUTES.map((k) => k.name));
    await registerSearchAttributes(connection, 'default');
    assert.deepEqual(added, []);
  });

  it('when another worker registered it first (ALREADY_EXISTS), then that is fine', async () => {
    const { connection } = fakeConnection([], grpcError(6, '6 ALREADY_EXISTS: search attribute MlopsProject already exists'));
    await registerSearchAttributes(connection, 'default');
  });

  it('when listing and adding need rights the worker lacks but the attributes exist (a managed namespace), then the queries that use them tell so and nothing fails', async () => {
    const { connection } = fakeConnection([], grpcError(7, '7 PERMISSION_DENIED: Request unauthorized.'), ALL_SEARCH_ATTRIBUTES.map((k) => k.name));
    await registerSearchAttributes(connection, 'mlops');
  });

  it('when the server refuses the registration, then the error names the attribute, the rule and the command an operator runs', async () => {
    const { connection } = fakeConnection(ALL_SEARCH_ATTRIBUTES.filter((k) => k !== PROJECT).map((k) => k.name), grpcError(7, '7 PERMISSION_DENIED: Request unauthorized.'));
    await assert.rejects(registerSearchAttributes(connection, 'mlops'), (err: unknown) => {
      assert.ok(err instanceof SearchAttributesMissingError);
      assert.match(err.message, /^search attributes MlopsProject=Keyword must be registered in namespace mlops before runs start/);
      assert.match(err.message, /PERMISSION_DENIED/);
      assert.match(err.message, /temporal operator search-attribute create --namespace mlops --name MlopsProject --type Keyword/);
      return true;
    });
  });
});
