/** RFC3339 UTC with second precision and a `Z` suffix, e.g. `2024-01-15T10:30:00Z` (spec: 通用约定, 时间戳). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
