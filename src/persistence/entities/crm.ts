import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { jsonColumn, optionalTime, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';

/**
 * Table `customer_scores` (migration 0011): each customer's computed CRM scores as last computed
 * by the scoring job or on demand (src/application/crm/customer-scores.ts), which list filters and
 * distributions read. Customer-owned: the primary key is `customer_id` (Citus distribution key);
 * deleted with the customer row.
 *
 * - `computedRating`: 1..5 stars of the weighted score, null while the customer has no history
 *   (no paid order and no invoice that fell due); `ratingScore`: 0..100 points with 2 decimals
 *   (not money); `subScores`: `{ orderAmount, onTimePayment, orderFrequency, relationshipAge }`,
 *   decimal strings of 0..100 points.
 * - `riskLevel`: green / yellow / orange / red; `rfmRecency` / `rfmFrequency` / `rfmMonetary`:
 *   high / medium / low; `rfmSegment`: the CRM document's five segments.
 */
export const CustomerScore = defineEntity({
  name: 'CustomerScore',
  tableName: 'customer_scores',
  properties: {
    customerId: p.manyToOne(Customer).primary().mapToPk().fieldName('customer_id').deleteRule('cascade').updateRule('no action'),
    computedRating: p.smallint().nullable(),
    ratingScore: p.decimal('string').precision(5).scale(2).nullable(),
    subScores: jsonColumn<Record<string, string>>(() => ({})),
    riskLevel: p.text().default('green'),
    rfmRecency: p.text().default('low'),
    rfmFrequency: p.text().default('low'),
    rfmMonetary: p.text().default('low'),
    rfmSegment: p.text().default('general'),
    computedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
  indexes: [
    { name: 'customer_scores_risk_level_index', properties: ['riskLevel'] },
    { name: 'customer_scores_rfm_segment_index', properties: ['rfmSegment'] },
  ],
  checks: [
    { name: 'customer_scores_computed_rating_check', expression: 'computed_rating >= 1 and computed_rating <= 5' },
    { name: 'customer_scores_rating_score_check', expression: 'rating_score >= 0 and rating_score <= 100' },
    { name: 'customer_scores_risk_level_check', expression: "risk_level in ('green', 'yellow', 'orange', 'red')" },
    {
      name: 'customer_scores_rfm_segment_check',
      expression: "rfm_segment in ('important_value', 'important_retain', 'important_develop', 'general', 'churn_warning')",
    },
  ],
});
/** A row of `customer_scores`. */
export type CustomerScore = InferEntity<typeof CustomerScore>;

/**
 * Table `customer_imports` (migration 0011): one spreadsheet (`xlsx`) or JSON import of customers,
 * its progress and, once finished, its per-row results (`rows`: `[{ rowNumber, result, customerCode,
 * customerId, field, message }]`, result created / updated / unchanged / error). Counts are >= 0;
 * `status` running → completed, or failed with `error` (a file that could not be read, or a worker
 * that stopped mid-way). `adminUserId` / `adminUsername` name who started it (not a foreign key:
 * the record outlives the user). Not customer-owned.
 */
export const CustomerImport = defineEntity({
  name: 'CustomerImport',
  tableName: 'customer_imports',
  properties: {
    id: uuidPrimaryKey(),
    source: p.text(),
    fileName: p.string().length(255).default(''),
    status: p.text().default('running'),
    totalRows: p.integer().default(0),
    processedRows: p.integer().default(0),
    createdCount: p.integer().default(0),
    updatedCount: p.integer().default(0),
    unchangedCount: p.integer().default(0),
    failedCount: p.integer().default(0),
    rows: jsonColumn<Array<Record<string, unknown>>>(() => []),
    error: p.text().default(''),
    adminUserId: p.uuid().nullable(),
    adminUsername: p.string().length(64).default(''),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    finishedAt: optionalTime(),
  },
  indexes: [{ name: 'customer_imports_created_at_index', properties: ['createdAt'] }],
  checks: [
    { name: 'customer_imports_source_check', expression: "source in ('xlsx', 'json')" },
    { name: 'customer_imports_status_check', expression: "status in ('running', 'completed', 'failed')" },
  ],
});
/** A row of `customer_imports`. */
export type CustomerImport = InferEntity<typeof CustomerImport>;
