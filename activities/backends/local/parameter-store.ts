import type { Parameter, ParameterStore } from '../types';
import { JsonState } from './json-state';

interface ParameterDocument {
  parameters: Record<string, Parameter & { history: { value: string; version: number; lastModified: string }[] }>;
}

const NAME_PATTERN = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;

/** SSM-Parameter-Store-like key/value store with versions, as one JSON document. */
export class LocalParameterStore implements ParameterStore {
  private readonly state: JsonState<ParameterDocument>;

  constructor(file: string) {
    this.state = new JsonState(file, () => ({ parameters: {} }));
  }

  async put(name: string, value: string): Promise<Parameter> {
    const [put] = await this.putMany([{ name, value }]);
    return put!;
  }

  /** Every entry is checked first, then all are written in one update of the document. */
  async putMany(entries: { name: string; value: string }[]): Promise<Parameter[]> {
    for (const { name, value } of entries) {
      if (!NAME_PATTERN.test(name)) throw new Error(`invalid parameter name '${name}': must start with / and use letters, digits, _ . - /`);
      if (value.length === 0) throw new Error(`parameter '${name}': the value is empty`);
    }
    if (entries.length === 0) return [];
    return this.state.update((doc) => entries.map(({ name, value }) => putInto(doc, name, value)));
  }

  async get(name: string): Promise<Parameter | undefined> {
    const found = (await this.state.read()).parameters[name];
    return found ? strip(found) : undefined;
  }

  async getByPath(prefix: string): Promise<Parameter[]> {
    const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const doc = await this.state.read();
    return Object.values(doc.parameters)
      .filter((p) => p.name.startsWith(normalized))
      .map(strip)
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** A new version when the value changes; the same parameter when it does not. */
function putInto(doc: ParameterDocument, name: string, value: string): Parameter {
  const current = doc.parameters[name];
  if (current && current.value === value) return strip(current);
  const next = {
    name,
    value,
    version: (current?.version ?? 0) + 1,
    lastModified: new Date().toISOString(),
    history: [...(current?.history ?? []), ...(current ? [{ value: current.value, version: current.version, lastModified: current.lastModified }] : [])],
  };
  doc.parameters[name] = next;
  return strip(next);
}

function strip(p: Parameter): Parameter {
  return { name: p.name, value: p.value, version: p.version, lastModified: p.lastModified };
}
