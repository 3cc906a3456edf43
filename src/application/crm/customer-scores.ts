/**
 * The stored CRM scores (`customer_scores`; issue 10 "recomputed by a scheduled job and on demand"):
 * every customer's computed rating (the weighted score against the reseller-wide averages), its
 * credit risk level and its RFM segment, as list filters and reports read them.
 *
 * - {@link CustomerScores.recompute}: all customers at once — the `crm.scores` periodic job
 *   (`[crm] scores_interval_secs`), RecomputeCustomerScores, the end of an import. One read of
 *   every customer's figures, the pure rules, one upsert statement.
 * - {@link CustomerScores.refresh}: some customers' risk level and RFM segment now, keeping their
 *   last computed rating (the averages need everybody) — after an admin changed a customer, and
 *   for a customer never scored yet.
 *
 * Scores are derived data, rewritten whole each time; they are not the customer actor's snapshot
 * (the actor owns the `customers` row, which this never writes).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { CrmPolicy, CustomerFigures } from '../../domain/crm/customer-view.ts';
import { computeRatings, customerCrmView } from '../../domain/crm/customer-view.ts';
import { starsOrNull, type Stars } from '../../domain/crm/rating.ts';
import { moneyOf } from '../../domain/money.ts';
import { rfc3339 } from '../../lib/time.ts';
import { loadCustomerFigures } from './customer-figures.ts';
import { utcToday } from './crm-policy.ts';

/** The account facts of the customers being scored. */
interface AccountRow {
  id: string;
  balance: string;
  credit_limit: string;
  payment_terms_days: number | null;
  rating: number | null;
  computed_rating: number | null;
}

/** One `customer_scores` row as written. */
interface ScoreWrite {
  customer_id: string;
  computed_rating: number | null;
  rating_score: string | null;
  sub_scores: Record<string, string>;
  risk_level: string;
  rfm_recency: string;
  rfm_frequency: string;
  rfm_monetary: string;
  rfm_segment: string;
}

const UPSERT = `
insert into customer_scores (customer_id, computed_rating, rating_score, sub_scores, risk_level, rfm_recency, rfm_frequency, rfm_monetary, rfm_segment, computed_at)
select x.customer_id, x.computed_rating, x.rating_score, x.sub_scores, x.risk_level, x.rfm_recency, x.rfm_frequency, x.rfm_monetary, x.rfm_segment, ?::timestamptz
  from jsonb_to_recordset(?::jsonb) as x(customer_id uuid, computed_rating smallint, rating_score numeric(5, 2), sub_scores jsonb, risk_level text,
                                         rfm_recency text, rfm_frequency text, rfm_monetary text, rfm_segment text)
 where exists (select 1 from customers c where c.id = x.customer_id)
on conflict (customer_id) do update set
  computed_rating = excluded.computed_rating, rating_score = excluded.rating_score, sub_scores = excluded.sub_scores,
  risk_level = excluded.risk_level, rfm_recency = excluded.rfm_recency, rfm_frequency = excluded.rfm_frequency,
  rfm_monetary = excluded.rfm_monetary, rfm_segment = excluded.rfm_segment, computed_at = excluded.computed_at`;

/** See the file comment. */
export class CustomerScores {
  private readonly orm: MikroORM;
  private readonly policy: CrmPolicy;
  private readonly now: () => Date;

  constructor(deps: { orm: MikroORM; policy: CrmPolicy; now?: () => Date }) {
    this.orm = deps.orm;
    this.policy = deps.policy;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Recomputes the scores of every customer that is not deleted — or of `only` that one, still
   * rated against the averages over everybody: ratings against the averages over the customers
   * with a history, risk levels, RFM segments.
   * @returns how many customers were scored and when (RFC3339)
   */
  async recompute(only?: string): Promise<{ customers: number; computedAt: string }> {
    const at = this.now();
    const today = utcToday(at);
    const em = this.orm.em.fork();
    const accounts = await this.accounts(em, null);
    const all = await loadCustomerFigures(em, null, today);
    const figures = new Map<string, CustomerFigures>();
    for (const account of accounts) {
      const found = all.get(account.id);
      if (found) figures.set(account.id, found);
    }
    const ratings = computeRatings(figures, today);
    const writes: ScoreWrite[] = [];
    for (const account of accounts) {
      const own = figures.get(account.id);
      if (!own || (only !== undefined && account.id !== only)) continue;
      const rating = ratings.get(account.id) ?? null;
      writes.push(this.scoreOf(account, own, rating === null ? null : { stars: rating.stars, score: rating.score, subScores: { ...rating.subScores } }, today));
    }
    await this.write(em, writes, at);
    return { customers: writes.length, computedAt: rfc3339(at) };
  }

  /**
   * Refreshes the risk level and RFM segment of `customerIds` now, keeping each one's last
   * computed rating (a customer never scored gets its row, without a computed rating).
   */
  async refresh(customerIds: readonly string[]): Promise<void> {
    if (customerIds.length === 0) return;
    const at = this.now();
    const today = utcToday(at);
    const em = this.orm.em.fork();
    const accounts = await this.accounts(em, customerIds);
    const figures = await loadCustomerFigures(em, accounts.map((account) => account.id), today);
    const stored = await em.getConnection().execute<Array<{ customer_id: string; rating_score: string | null; sub_scores: Record<string, string> }>>(
      'select customer_id, rating_score::text as rating_score, sub_scores from customer_scores where customer_id = any(?::uuid[])',
      [`{${accounts.map((account) => account.id).join(',')}}`],
    );
    const kept = new Map(stored.map((row) => [row.customer_id, row]));
    const writes: ScoreWrite[] = [];
    for (const account of accounts) {
      const own = figures.get(account.id);
      if (!own) continue;
      const stars = starsOrNull(account.computed_rating);
      const previous = kept.get(account.id);
      writes.push(this.scoreOf(account, own, stars === null ? null : { stars, score: previous?.rating_score ?? null, subScores: previous?.sub_scores ?? {} }, today));
    }
    await this.write(em, writes, at);
  }

  private scoreOf(account: AccountRow, figures: CustomerFigures, rating: { stars: Stars; score: string | null; subScores: Record<string, string> } | null, today: string): ScoreWrite {
    const view = customerCrmView(
      { balance: moneyOf(account.balance), creditLimit: moneyOf(account.credit_limit), paymentTermsDays: account.payment_terms_days, rating: starsOrNull(account.rating) },
      figures, rating?.stars ?? null, this.policy, today,
    );
    return {
      customer_id: account.id,
      computed_rating: rating?.stars ?? null,
      rating_score: rating?.score ?? null,
      sub_scores: rating?.subScores ?? {},
      risk_level: view.risk.level,
      rfm_recency: view.rfm.recency,
      rfm_frequency: view.rfm.frequency,
      rfm_monetary: view.rfm.monetary,
      rfm_segment: view.rfm.segment,
    };
  }

  private async accounts(em: ReturnType<MikroORM['em']['fork']>, ids: readonly string[] | null): Promise<AccountRow[]> {
    return em.getConnection().execute<AccountRow[]>(
      `select c.id, c.balance::text as balance, c.credit_limit::text as credit_limit, c.payment_terms_days, c.rating, s.computed_rating
         from customers c left join customer_scores s on s.customer_id = c.id
        where c.deleted_at is null and (?::uuid[] is null or c.id = any(?::uuid[]))`,
      ids === null ? [null, null] : [`{${ids.join(',')}}`, `{${ids.join(',')}}`],
    );
  }

  private async write(em: ReturnType<MikroORM['em']['fork']>, writes: readonly ScoreWrite[], at: Date): Promise<void> {
    if (writes.length === 0) return;
    await em.getConnection().execute(UPSERT, [at.toISOString(), JSON.stringify(writes)]);
  }
}
