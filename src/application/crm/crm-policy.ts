/**
 * The CRM's settings as the domain rules take them, from `[crm]` and `[billing] due_days`
 * (src/config/schema.ts), and the clock the CRM computes "today" with.
 */
import type { AppConfig } from '../../../cluster.config.ts';
import type { CrmPolicy } from '../../domain/crm/customer-view.ts';
import { validateRfmThresholds } from '../../domain/crm/rfm.ts';

/** The CRM policy of a configuration. @throws DomainError invalid_argument for inconsistent thresholds (the config schema refuses them first) */
export function crmPolicyOf(config: Pick<AppConfig, 'crm' | 'billing'>): CrmPolicy {
  const crm = config.crm;
  return {
    rfm: validateRfmThresholds({
      recency: { highMaxDays: crm.rfm_recency_high_max_days, mediumMaxDays: crm.rfm_recency_medium_max_days },
      frequency: { highMinOrders: crm.rfm_frequency_high_min_orders, mediumMinOrders: crm.rfm_frequency_medium_min_orders },
      monetary: { highMin: crm.rfm_monetary_high_min, mediumMin: crm.rfm_monetary_medium_min },
    }),
    risk: { frequentLatePayments: crm.frequent_late_payments },
    clvHorizonMonths: crm.clv_horizon_months,
    defaultPaymentTermsDays: config.billing.due_days,
  };
}

/** Today's UTC date, `YYYY-MM-DD`. */
export function utcToday(now: Date): string {
  return now.toISOString().slice(0, 10);
}
