// Placeholder: rows for this group are being written.
import type { IsaRow } from './types.js';
export const MISC_ROWS: readonly IsaRow[] = [];
