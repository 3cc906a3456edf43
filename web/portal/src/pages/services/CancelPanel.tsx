/**
 * Cancellation at the end of the period (README "Recurring billing": CancelService with
 * `at_period_end`; customers cannot ask for a refund): a ConfirmDialog that names the day the
 * service ends (the current period's end), then CancelService with an idempotency key; afterwards
 * "Cancels on <date>". There is no RPC to take a cancellation back, so the dialog says so plainly.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import { api, idempotent, newActionKey, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { ConfirmDialog } from '../../ui/confirm.tsx';
import { ErrorBox, Notice } from '../../ui/page.tsx';
import { cancelsAtPeriodEnd, useDayText } from './shared.tsx';

/**
 * The cancel panel of an active or suspended `order`; `onChanged` gets the order after the
 * cancellation.
 */
export function CancelPanel({ order, onChanged }: { order: OrderInfo; onChanged(order: OrderInfo): void }) {
  const { t } = useTranslation('services');
  const friendly = useFriendly();
  const day = useDayText();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newActionKey);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState(false);
  const ends = order.periodEnd || order.nextRenewalOn || '';
  const name = order.productName;
  const heading = <h2 id="cancel-title">{t('cancelTitle')}</h2>;
  if (cancelsAtPeriodEnd(order)) {
    return (
      <div className="panel" role="region" aria-labelledby="cancel-title">
        {heading}
        {done ? <Notice>{t('cancelled', { date: day(ends) })}</Notice> : <p>{t('alreadyCancelled', { date: day(ends) })}</p>}
      </div>
    );
  }
  const confirm = () => {
    setBusy(true);
    setProblem(null);
    api.orders.cancelService({ orderId: order.id, atPeriodEnd: true, refund: false }, idempotent(key)).then((answer) => {
      setOpen(false);
      setDone(true);
      setKey(newActionKey());
      if (answer.order) onChanged(answer.order);
    }, (failure: unknown) => setProblem(friendly(failure))).finally(() => setBusy(false));
  };
  return (
    <div className="panel" role="region" aria-labelledby="cancel-title" data-testid="cancel-service">
      {heading}
      <p className="muted">{t('cancelIntro')}</p>
      {!open && <ErrorBox message={problem?.message ?? null} />}
      <button type="button" className="danger" onClick={() => { setProblem(null); setOpen(true); }}>{t('cancelButton')}</button>
      <ConfirmDialog
        open={open} danger busy={busy} title={t('cancelConfirmTitle', { name })} confirmLabel={t('cancelConfirm')}
        onConfirm={confirm} onCancel={() => setOpen(false)}
      >
        <p data-testid="cancel-date-text">{t('cancelConfirmText', { date: day(ends) })}</p>
        <ErrorBox message={problem?.message ?? null} />
      </ConfirmDialog>
    </div>
  );
}
