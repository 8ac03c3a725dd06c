// Status report for the health endpoint.
export const STATUS_FIELDS = ['waiting', 'active', 'failed'];

export function summarize(counts) {
  const total = STATUS_FIELDS.reduce((sum, field) => sum + (counts[field] || 0), 0);
  return { total, healthy: (counts.failed || 0) === 0 };
}

// Added again by a later change: a name exported twice is a SyntaxError when Node links the module.
export { summarize };
