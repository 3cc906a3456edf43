import type { RevenueReports } from '../../application/billing/revenue.ts';
import { BillingService } from '../../gen/rustbill/billing_pb.ts';
import type { ServiceHandlers } from '../handlers.ts';

/** Days of the series when the request names none. */
const DEFAULT_DAYS = 30;

/**
 * BillingService/GetRevenueSummary (NodeBill extension, issue 12): revenue today, this month and
 * per day for the admin console's dashboard. Validates in the service (days, time zone) and maps.
 */
export function revenueHandlers(reports: RevenueReports): ServiceHandlers<typeof BillingService> {
  return {
    async getRevenueSummary(request) {
      const summary = await reports.summary({ days: request.days === 0 ? DEFAULT_DAYS : request.days, timeZone: request.timeZone });
      return { today: summary.today, thisMonth: summary.thisMonth, days: summary.days, timeZone: summary.timeZone };
    },
  };
}
