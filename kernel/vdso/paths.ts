// Where the vDSO build steps find their files. They run both as compiled JavaScript
// (dist/kernel/vdso/*.js) and from source under a TypeScript loader, so they locate the repository
// by walking up to the directory holding package.json instead of counting "../".

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'kernel'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`vdso: cannot find the repository root above ${fromUrl}`);
    dir = up;
  }
}

export function vdsoPaths(root: string = repoRoot()) {
  const src = join(root, 'kernel', 'vdso', 'src');
  return {
    root,
    src,
    header: join(src, 'vvar.h'),
    so: join(src, 'vdso.so'),
    /** The unstripped link output, left by make (not committed); holds the vvar symbol. */
    dbg: join(src, 'vdso.so.dbg'),
    image: join(root, 'kernel', 'vdso', 'vdso_image.ts'),
  };
}

/** True when this module is the program node was asked to run. */
export function isMain(moduleUrl: string): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return fileURLToPath(moduleUrl) === argv1 || fileURLToPath(moduleUrl).replace(/\.[cm]?[jt]s$/, '') === argv1.replace(/\.[cm]?[jt]s$/, '');
  } catch {
    return false;
  }
}
