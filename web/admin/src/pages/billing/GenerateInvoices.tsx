/**
 * The billing run of a period by hand (GenerateInvoices): two dates, a working state while the
 * server generates, then how many invoices it made (0 when the period was billed already).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import './invoice-strings.ts';

/** The form; `onGenerated` after a run that made invoices (the list reloads). */
export function GenerateInvoices({ onGenerated }: { onGenerated(): void }) {
  const { t } = useTranslation('invoices');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setResult(null);
    api.billing.generateInvoices({ billingPeriodStart: start, billingPeriodEnd: end }).then((answer) => {
      setResult(t('generatedCount', { count: answer.generatedCount, start, end }));
      if (answer.generatedCount > 0) onGenerated();
    }, (error: unknown) => setProblem(problemOf(error))).finally(() => setBusy(false));
  };
  return (
    <form className="form" onSubmit={submit} aria-label={t('generateTitle')} data-testid="generate-form" aria-busy={busy}>
      <h2>{t('generateTitle')}</h2>
      <p className="muted">{t('generateHint')}</p>
      <FormProblem problem={problem} fields={['billing_period_start', 'billing_period_end']} />
      <div className="row">
        <Field label={t('periodStart')} name="billing_period_start" problem={problem}>
          <input type="date" aria-label={t('periodStart')} value={start} onChange={(e) => setStart(e.target.value)} disabled={busy} />
        </Field>
        <Field label={t('periodEnd')} name="billing_period_end" problem={problem}>
          <input type="date" aria-label={t('periodEnd')} value={end} onChange={(e) => setEnd(e.target.value)} disabled={busy} />
        </Field>
      </div>
      <button type="submit" className="primary" disabled={busy}>{t('run')}</button>
      {busy && <div className="progress" role="progressbar" aria-label={t('generating')}><span className="spinner" /> {t('generating')}</div>}
      {result && <div className="ok" role="status" data-testid="generated-count">{result}</div>}
    </form>
  );
}
