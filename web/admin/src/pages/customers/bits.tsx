/** Small pieces the Customers screens share: the CRM's value lists, stars, risk badges, labels, form checks. */
import { Code } from '@connectrpc/connect';
import { useTranslation } from 'react-i18next';
import type { ApiProblem } from '../../api.ts';
import { moneyProblem } from '../../../../shared/format.tsx';
import { NS } from './strings.ts';
import './customers.css';

/** The server's customer types (src/domain/crm/profile.ts CUSTOMER_TYPES). */
export const CUSTOMER_TYPES = ['enterprise', 'individual', 'distributor', 'retail'] as const;
/** The server's credit risk levels (src/domain/crm/credit-risk.ts). */
export const RISK_LEVELS = ['green', 'yellow', 'orange', 'red'] as const;
/** The server's RFM segments, in the document's order (src/domain/crm/rfm.ts). */
export const RFM_SEGMENTS = ['important_value', 'important_retain', 'important_develop', 'general', 'churn_warning'] as const;

/** A rating as five stars (filled up to `rating`), with where it comes from as the tooltip. */
export function Stars({ rating, source }: { rating: number; source?: string }) {
  const { t } = useTranslation(NS);
  const label = rating === 1 ? t('starsOne') : t('stars', { count: rating });
  const title = source ? `${label} · ${t(`ratingSource_${source}`)}` : label;
  return (
    <span className="cu-stars" title={title} aria-label={label} data-rating={rating}>
      {'★'.repeat(Math.max(0, Math.min(5, rating)))}<span className="cu-stars-off">{'★'.repeat(Math.max(0, 5 - rating))}</span>
    </span>
  );
}

/** A credit risk level as a coloured badge ('' — not computed yet — as a grey one). */
export function RiskBadge({ level }: { level: string }) {
  const { t } = useTranslation(NS);
  const known = (RISK_LEVELS as readonly string[]).includes(level);
  return <span className={known ? `badge ${level}` : 'badge'} data-risk={level}>{t(`risk_${known ? level : ''}`)}</span>;
}

/** An RFM segment's name. */
export function SegmentLabel({ segment }: { segment: string }) {
  const { t } = useTranslation(NS);
  const known = (RFM_SEGMENTS as readonly string[]).includes(segment);
  return <span className={segment === 'churn_warning' ? 'cu-segment cu-warn' : 'cu-segment'}>{t(`segment_${known ? segment : ''}`)}</span>;
}

/** A customer type's name. */
export function TypeLabel({ type }: { type: string }) {
  const { t } = useTranslation(NS);
  const known = (CUSTOMER_TYPES as readonly string[]).includes(type);
  return known ? <>{t(`type_${type}`)}</> : <span className="muted">{t('type_')}</span>;
}

/** A problem found before asking the server, worded and shaped like the server's (the field first). */
export function localProblem(field: string, message: string): ApiProblem {
  return { code: Code.InvalidArgument, message, field };
}

/**
 * The money check of an input, as the server's, for `field` (`credit_limit`, `amount`): null when it is fine.
 * `optional`: an empty input is fine (the server reads it as 0.00).
 */
export function moneyFieldProblem(field: string, text: string, options: { signed?: boolean; optional?: boolean } = {}): ApiProblem | null {
  if (options.optional && text.trim() === '') return null;
  if (text.trim() === '') return localProblem(field, `${field} is required`);
  const problem = moneyProblem(text, { signed: options.signed ?? false });
  if (problem === null) return null;
  if (!options.signed && text.trim().startsWith('-') && moneyProblem(text.trim().slice(1)) === null) {
    return localProblem(field, `${field} must not be negative (got "${text.trim()}")`);
  }
  return localProblem(field, `${field} must be ${problem} (got "${text.trim().slice(0, 40)}")`);
}

/** The text of a whole-number input as a number, or undefined when it is empty. */
export function wholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? Math.trunc(value) : undefined;
}
