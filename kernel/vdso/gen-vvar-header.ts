// Writes kernel/vdso/src/vvar.h from the layout table in datapage.ts.
// Usage (after `npm run build`): node dist/kernel/vdso/gen-vvar-header.js [--check]
//   --check: write nothing; exit 1 if the committed header differs from what the table gives.

import { readFileSync, writeFileSync } from 'node:fs';
import { generateVvarHeader } from './datapage.js';
import { isMain, vdsoPaths } from './paths.js';

export function main(argv: string[]): number {
  const { header } = vdsoPaths();
  const text = generateVvarHeader();
  if (argv.includes('--check')) {
    let old = '';
    try { old = readFileSync(header, 'utf8'); } catch { /* missing counts as stale */ }
    if (old !== text) {
      console.error(`${header} is stale: run node dist/kernel/vdso/gen-vvar-header.js`);
      return 1;
    }
    console.log(`${header} is up to date`);
    return 0;
  }
  writeFileSync(header, text);
  console.log(`wrote ${header}`);
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = main(process.argv.slice(2));
