import path from 'node:path';
import { CONTAINER_BASE_DIR } from '../../../common/container-contract';

const ROOT = `${CONTAINER_BASE_DIR}/`;

/** Maps a container path (`/opt/ml/...`) into the job's own tree (`base`), as a bind mount would. */
export function toLocalPath(base: string, containerPath: string): string {
  if (!containerPath.startsWith(ROOT)) throw new Error(`container path '${containerPath}' must be under ${ROOT}`);
  const resolved = path.join(base, containerPath.slice(ROOT.length));
  if (!resolved.startsWith(base + path.sep)) throw new Error(`container path '${containerPath}' escapes ${CONTAINER_BASE_DIR}`);
  return resolved;
}

/** Rewrites every container path inside an argument or environment value to the job's own tree. */
export function rewriteContainerPaths(base: string, value: string): string {
  return value.split(ROOT).join(`${base}/`);
}
