import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, type Parameter as SsmParameter, type SSMClient } from '@aws-sdk/client-ssm';
import type { Parameter, ParameterStore } from '../types';
import { call, isErrorNamed, toActivityError } from './aws-errors';

/** The same rule as the local store, so both backends refuse the same names. */
const NAME_PATTERN = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;

/**
 * SSM Parameter Store (String parameters). Like the local store, writing the value a parameter
 * already has is a no-op (SSM itself would add a version), so retried activities do not inflate
 * versions.
 */
export class AwsParameterStore implements ParameterStore {
  constructor(private readonly ssm: SSMClient) {}

  async put(name: string, value: string): Promise<Parameter> {
    if (!NAME_PATTERN.test(name)) throw new Error(`invalid parameter name '${name}': must start with / and use letters, digits, _ . - /`);
    if (value.length === 0) throw new Error(`parameter '${name}': the value is empty`);
    const current = await this.get(name);
    if (current && current.value === value) return current;
    await call(`SSM PutParameter ${name}`, () => this.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true })));
    const written = await this.get(name);
    if (!written) throw new Error(`SSM PutParameter ${name} succeeded but the parameter is not there`);
    return written;
  }

  async get(name: string): Promise<Parameter | undefined> {
    try {
      const out = await this.ssm.send(new GetParameterCommand({ Name: name }));
      return out.Parameter ? toParameter(out.Parameter) : undefined;
    } catch (err) {
      if (isErrorNamed(err, 'ParameterNotFound')) return undefined;
      throw toActivityError(err, `SSM GetParameter ${name}`);
    }
  }

  async getByPath(prefix: string): Promise<Parameter[]> {
    const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`;
    // SSM wants the path without its trailing slash (except the root).
    const path = normalized === '/' ? '/' : normalized.slice(0, -1);
    const found: Parameter[] = [];
    let token: string | undefined;
    do {
      const page = await call(`SSM GetParametersByPath ${path}`, () =>
        this.ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true, MaxResults: 10, ...(token ? { NextToken: token } : {}) })),
      );
      for (const p of page.Parameters ?? []) found.push(toParameter(p));
      token = page.NextToken;
    } while (token);
    return found.filter((p) => p.name.startsWith(normalized)).sort((a, b) => a.name.localeCompare(b.name));
  }
}

function toParameter(p: SsmParameter): Parameter {
  return {
    name: p.Name ?? '',
    value: p.Value ?? '',
    version: p.Version ?? 1,
    lastModified: (p.LastModifiedDate ?? new Date()).toISOString(),
  };
}
