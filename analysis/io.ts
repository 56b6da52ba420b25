/**
 * Small I/O helpers for analysis outputs: canonical JSON (sorted keys, for hashing), CSV rows,
 * flattening results into numeric columns. Atomic file writes come from sim/results.ts.
 */

/** JSON with object keys sorted recursively; `undefined` fields omitted (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortKeys(x)));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

/** One CSV line (RFC 4180 quoting; undefined/null → empty; numbers as JS prints them). */
export function csvRow(values: readonly unknown[]): string {
  return values
    .map((v) => {
      if (v === undefined || v === null) return '';
      if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
      const s = typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

/** A CSV document from row objects with the given columns. */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length ? Object.keys(rows[0]) : []);
  return [csvRow(cols), ...rows.map((r) => csvRow(cols.map((c) => r[c])))].join('\n') + '\n';
}

/** Numeric and boolean leaves of a JSON value by dot path (arrays indexed), in key order. */
export function flattenNumbers(value: unknown, prefix = '', out = new Map<string, number | boolean>()): Map<string, number | boolean> {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) out.set(prefix || 'value', value);
  } else if (typeof value === 'boolean') {
    out.set(prefix || 'value', value);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flattenNumbers(v, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenNumbers(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}
