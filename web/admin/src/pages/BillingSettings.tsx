/**
 * The Billing settings screen (issue 12): the `[billing]` settings in force (GetBillingSettings),
 * read-only — they are configuration, changed in the config file — and, for administrators, "Run
 * the lifecycle now" (RunBillingLifecycle), which shows what the run did.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BillingSettingsReply, RunBillingLifecycleReply } from '../../../../src/gen/rustbill/billing_pb.ts';
import { api, problemOf } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { useSession } from '../session.tsx';
import { Time } from '../../../shared/format.tsx';
import { YesNo } from './billing/common.tsx';

registerStrings('billingSettings', {
  en: {
    title: 'Billing settings', readOnly: 'These are the [billing] settings of the configuration file; change them there and restart.',
    dueDays: 'Generated invoices are due after', renewalDays: 'Renewal invoice issued before the period ends', remindBefore: 'Reminders before the due date',
    remindAfter: 'Reminders after the due date', suspendAfter: 'Unpaid service suspended after', terminateAfter: 'Unpaid service terminated after',
    pricesIncludeTax: 'Catalog prices include tax', interval: 'The lifecycle runs every', days: '{{count}} days', daysList: '{{list}} days', none: 'none',
    seconds: '{{count}} s', pastDue: '{{count}} days past due',
    lifecycle: 'Service lifecycle', runNow: 'Run the lifecycle now', running: 'Running the lifecycle…', adminsOnly: 'Only administrators may run the lifecycle by hand.',
    report: 'What the run did', runAt: 'Decided at', periodsStarted: 'Services given their first period', renewalsIssued: 'Renewal invoices issued',
    renewalsAutoPaid: 'Renewals paid from the balance', periodsRolled: 'Services moved into their next period', remindersSent: 'Reminders sent',
    servicesSuspended: 'Services suspended', servicesEnded: 'Services terminated',
  },
  zh: {
    title: '计费设置', readOnly: '以下为配置文件中的 [billing] 设置；如需修改请编辑配置文件并重启。',
    dueDays: '生成的账单到期天数', renewalDays: '周期结束前多少天开具续费账单', remindBefore: '到期前提醒（天）',
    remindAfter: '到期后提醒（天）', suspendAfter: '未付款服务暂停于', terminateAfter: '未付款服务终止于',
    pricesIncludeTax: '产品价格含税', interval: '生命周期任务运行间隔', days: '{{count}} 天', daysList: '{{list}} 天', none: '无',
    seconds: '{{count}} 秒', pastDue: '逾期 {{count}} 天后',
    lifecycle: '服务生命周期', runNow: '立即运行生命周期任务', running: '正在运行生命周期任务…', adminsOnly: '只有管理员可以手动运行生命周期任务。',
    report: '本次运行结果', runAt: '判定时间', periodsStarted: '开始首个周期的服务', renewalsIssued: '开具的续费账单',
    renewalsAutoPaid: '从余额自动支付的续费', periodsRolled: '进入下一周期的服务', remindersSent: '发送的提醒',
    servicesSuspended: '暂停的服务', servicesEnded: '终止的服务',
  },
});

const REPORT_KEYS = ['periodsStarted', 'renewalsIssued', 'renewalsAutoPaid', 'periodsRolled', 'remindersSent', 'servicesSuspended', 'servicesEnded'] as const;

/** The Billing settings screen. */
export default function BillingSettingsPage() {
  const { t } = useTranslation('billingSettings');
  const { isAdmin } = useSession();
  const [settings, setSettings] = useState<BillingSettingsReply | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [report, setReport] = useState<RunBillingLifecycleReply | null>(null);
  const [runProblem, setRunProblem] = useState<string | null>(null);
  useEffect(() => {
    api.billing.getBillingSettings({}).then(setSettings, (error: unknown) => setProblem(problemOf(error).message));
  }, []);
  const run = () => {
    setRunning(true);
    setRunProblem(null);
    setReport(null);
    api.billing.runBillingLifecycle({}).then(setReport, (error: unknown) => setRunProblem(problemOf(error).message)).finally(() => setRunning(false));
  };
  const list = (days: readonly number[]) => (days.length === 0 ? t('none') : t('daysList', { list: days.join(', ') }));
  return (
    <section>
      <h1>{t('title')}</h1>
      {problem && <div className="error" role="alert">{problem}</div>}
      <p className="muted">{t('readOnly')}</p>
      {settings && (
        <div className="table-wrap" style={{ maxWidth: 720 }}>
          <table className="facts" data-testid="billing-settings">
            <tbody>
              <tr><th>{t('dueDays')}</th><td data-key="due_days">{t('days', { count: settings.dueDays })}</td></tr>
              <tr><th>{t('renewalDays')}</th><td data-key="renewal_invoice_days_before">{t('days', { count: settings.renewalInvoiceDaysBefore })}</td></tr>
              <tr><th>{t('remindBefore')}</th><td data-key="reminder_days_before">{list(settings.reminderDaysBefore)}</td></tr>
              <tr><th>{t('remindAfter')}</th><td data-key="reminder_days_after">{list(settings.reminderDaysAfter)}</td></tr>
              <tr><th>{t('suspendAfter')}</th><td data-key="suspend_after_days">{t('pastDue', { count: settings.suspendAfterDays })}</td></tr>
              <tr><th>{t('terminateAfter')}</th><td data-key="terminate_after_days">{t('pastDue', { count: settings.terminateAfterDays })}</td></tr>
              <tr><th>{t('pricesIncludeTax')}</th><td data-key="prices_include_tax"><YesNo value={settings.pricesIncludeTax} /></td></tr>
              <tr><th>{t('interval')}</th><td data-key="lifecycle_interval_secs">{t('seconds', { count: settings.lifecycleIntervalSecs })}</td></tr>
            </tbody>
          </table>
        </div>
      )}
      <h2>{t('lifecycle')}</h2>
      {isAdmin ? (
        <p>
          <button type="button" className="primary" onClick={run} disabled={running}>{t('runNow')}</button>
          {running && <span className="progress" role="progressbar" aria-label={t('running')}> <span className="spinner" /> {t('running')}</span>}
        </p>
      ) : <p className="muted">{t('adminsOnly')}</p>}
      {runProblem && <div className="error" role="alert">{runProblem}</div>}
      {report && (
        <div data-testid="lifecycle-report">
          <h3>{t('report')}</h3>
          <p className="muted">{t('runAt')}: <Time value={report.runAt} /></p>
          <div className="cards">
            {REPORT_KEYS.map((key) => (
              <div className="card" key={key} data-key={key}><div className="label">{t(key)}</div><div className="value">{report[key]}</div></div>
            ))}
          </div>
        </div>
      )}
    </section>
  );
}
