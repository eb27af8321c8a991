import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT } from '../../common/config/parse';

/** docker-compose.yml as compose reads it (YAML merge keys resolved), for tests that cannot run Docker. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface DependsOn {
  condition: string;
  restart?: boolean;
}
export type Service = Record<string, Json> & {
  image?: string;
  build?: Record<string, Json>;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, DependsOn>;
  healthcheck?: { test: string[] };
  network_mode?: string;
  restart?: string;
};
export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, Json>;
}

export const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

export function loadCompose(): ComposeFile {
  // merge: the `<<: *anchor` keys docker compose resolves (YAML merge keys).
  return YAML.parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/** Compose's variable interpolation with an empty environment plus `given`; `${X:?}` takes `required[X]`. */
export function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    const set = given[name!];
    if (op === ':-' || op === '-') return set !== undefined && (op === '-' || set !== '') ? set : (arg ?? '');
    if (op === ':?' || op === '?') {
      if (set === undefined || (op === ':?' && set === '')) throw new Error(`required variable ${name}: ${arg}`);
      return set;
    }
    return set ?? '';
  });
}

/** The variables .env must set (deploy/env.example), with values that pass the project's rules. */
export const REQUIRED_ENV = { MLOPS_WEBHOOK_TOKEN: 'a-token-of-at-least-16-chars', MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'password123' };

/** A service's environment as its container gets it (interpolated with `given`). */
export function serviceEnvironment(service: Service, given: Record<string, string> = REQUIRED_ENV): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), given)]));
}

/** A service's command (or entrypoint) as an argument list. */
export function argv(service: Service): string[] {
  return [...(service.entrypoint ?? []), ...(service.command ?? [])];
}

/** Host side of a published port: `ip:host:container`, `host:container` or `container`. */
export function hostBinding(spec: string): { ip: string; port: number; containerPort: number } | undefined {
  const parts = spec.split('/')[0]!.split(':');
  if (parts.length === 1) return undefined;
  const ip = parts.length === 3 ? parts[0]! : '0.0.0.0';
  return { ip, port: Number(parts[parts.length - 2]), containerPort: Number(parts[parts.length - 1]) };
}

/**
 * Where a setting points at another service: the host of a URL or of a `host:port` address. Undefined
 * for values that name no host.
 */
export function addressIn(value: string): { host: string; port: number } | undefined {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? new URL(value) : undefined;
  if (url) return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  const hostPort = /^([A-Za-z0-9.-]+):(\d+)$/.exec(value);
  return hostPort ? { host: hostPort[1]!, port: Number(hostPort[2]) } : undefined;
}
