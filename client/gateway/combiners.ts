import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../common/config/parse';
import { DEMO_MODEL_FAMILIES, type ModelFamily } from '../../common/types/model';
import { EdgeError } from '../edge-errors';

/** Combines the models' predictions for one record into the answer. */
export type Combiner = (predictions: Partial<Record<ModelFamily, number>>) => number;

/** A combiner with the name the gateway reports in its answers. */
export interface NamedCombiner {
  name: string;
  combine: Combiner;
}

/** A request named a combiner it may not use: answered 400. */
export class CombinerError extends EdgeError {
  constructor(message: string) {
    super('bad-request', 'InvalidCombiner', message);
    this.name = 'CombinerError';
  }
}

/** A combiner broke its contract (no finite number): the operator's fault, answered 500 and logged. */
export class CombinerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CombinerFailure';
  }
}

const values = (p: Partial<Record<ModelFamily, number>>) => Object.values(p).filter((v): v is number => typeof v === 'number');

const BUILT_IN: Record<string, Combiner> = {
  max: (p) => Math.max(...values(p)),
  mean: (p) => values(p).reduce((s, v) => s + v, 0) / values(p).length,
};

/** The setting that may name a module combiner. */
export const COMBINER_SETTING = 'MLOPS_GATEWAY_COMBINER';

const REQUEST_RULE = `a request may name max, mean or model:<family>; module combiners are the operator's choice (${COMBINER_SETTING}=module:<path>, loaded once at start)`;

/**
 * The combiner a request names: `max`, `mean` or `model:<family>` only. A `module:` name is
 * refused before anything touches the file system, with one message whatever the path, so a
 * caller can neither run code in the gateway nor learn whether a file exists.
 */
export function requestCombiner(name: string, families: readonly ModelFamily[] = DEMO_MODEL_FAMILIES): NamedCombiner {
  const builtIn = BUILT_IN[name];
  if (builtIn) return { name, combine: builtIn };
  if (name.startsWith('model:')) {
    const family = name.slice('model:'.length);
    if (!families.includes(family)) throw new CombinerError(`combiner '${name}': unknown model family '${family}' (known: ${families.join(', ')})`);
    return {
      name,
      combine: (p) => {
        const value = p[family];
        if (value === undefined) throw new CombinerError(`combiner '${name}': ${family} gave no prediction`);
        return value;
      },
    };
  }
  if (name.startsWith('module:')) throw new CombinerError(`module combiners cannot be chosen per request: ${REQUEST_RULE}`);
  throw new CombinerError(`unknown combiner '${name}': ${REQUEST_RULE}`);
}

/**
 * The operator's default combiner from `MLOPS_GATEWAY_COMBINER`: a built-in, `model:<family>`, or
 * `module:<path>` (resolved from `baseDir`; a JS module exporting `combine`, a default function, or
 * a default object with `combine`), imported here, once, at start. Any failure is a ConfigError
 * naming the setting and the file, so the gateway exits 2 with one line instead of serving.
 */
export async function loadOperatorCombiner(setting: string, baseDir: string): Promise<NamedCombiner> {
  if (!setting.startsWith('module:')) {
    try {
      return requestCombiner(setting);
    } catch (err) {
      throw new ConfigError([`${COMBINER_SETTING}: ${(err as Error).message}`]);
    }
  }
  const file = path.resolve(baseDir, setting.slice('module:'.length));
  let mod: { combine?: unknown; default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as typeof mod;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'no such file' : oneLine(err);
    throw new ConfigError([`${COMBINER_SETTING}: the combiner module ${file} cannot be loaded: ${reason}`]);
  }
  const fn = typeof mod.combine === 'function' ? mod.combine : typeof mod.default === 'function' ? mod.default : (mod.default as { combine?: unknown } | undefined)?.combine;
  if (typeof fn !== 'function') throw new ConfigError([`${COMBINER_SETTING}: the combiner module ${file} exports no 'combine' or default function`]);
  return { name: setting, combine: fn as Combiner };
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/** Runs a combiner and checks it returned a finite number. */
export function combine(combiner: NamedCombiner, predictions: Partial<Record<ModelFamily, number>>): number {
  const value = combiner.combine(predictions);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new CombinerFailure(`combiner '${combiner.name}' returned ${String(value)}, not a finite number`);
  return value;
}
