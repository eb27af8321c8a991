import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isModelFamily, type ModelFamily } from '../../common/types/model';

/** Combines the models' predictions for one record into the answer. */
export type Combiner = (predictions: Partial<Record<ModelFamily, number>>) => number;

export class CombinerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CombinerError';
  }
}

const values = (p: Partial<Record<ModelFamily, number>>) => Object.values(p).filter((v): v is number => typeof v === 'number');

const BUILT_IN: Record<string, Combiner> = {
  max: (p) => Math.max(...values(p)),
  mean: (p) => values(p).reduce((s, v) => s + v, 0) / values(p).length,
};

/**
 * Resolves a combiner name: `max` (the default), `mean`, `model:<family>` (that model's answer), or
 * `module:<path>` (a JS/TS module exporting `combine` or a default function). Custom modules are
 * loaded once and cached.
 */
export class CombinerRegistry {
  private readonly modules = new Map<string, Promise<Combiner>>();

  constructor(private readonly baseDir: string) {}

  async resolve(name: string): Promise<Combiner> {
    const builtIn = BUILT_IN[name];
    if (builtIn) return builtIn;
    if (name.startsWith('model:')) {
      const family = name.slice('model:'.length);
      if (!isModelFamily(family)) throw new CombinerError(`combiner '${name}': unknown model family '${family}'`);
      return (p) => {
        const value = p[family];
        if (value === undefined) throw new CombinerError(`combiner '${name}': ${family} gave no prediction`);
        return value;
      };
    }
    if (name.startsWith('module:')) {
      const file = path.resolve(this.baseDir, name.slice('module:'.length));
      let loaded = this.modules.get(file);
      if (!loaded) {
        loaded = import(pathToFileURL(file).href).then((mod: { combine?: unknown; default?: unknown }) => {
          const fn = typeof mod.combine === 'function' ? mod.combine : typeof mod.default === 'function' ? mod.default : (mod.default as { combine?: unknown } | undefined)?.combine;
          if (typeof fn !== 'function') throw new CombinerError(`combiner module ${file} exports no 'combine' or default function`);
          return fn as Combiner;
        });
        loaded.catch(() => this.modules.delete(file));
        this.modules.set(file, loaded);
      }
      return loaded.catch((err: unknown) => {
        throw err instanceof CombinerError ? err : new CombinerError(`combiner module ${file} cannot be loaded: ${(err as Error).message}`);
      });
    }
    throw new CombinerError(`unknown combiner '${name}': use max, mean, model:<family> or module:<path>`);
  }
}

/** Runs a combiner and checks it returned a finite number. */
export function combine(combiner: Combiner, name: string, predictions: Partial<Record<ModelFamily, number>>): number {
  const value = combiner(predictions);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new CombinerError(`combiner '${name}' returned ${String(value)}, not a finite number`);
  return value;
}
