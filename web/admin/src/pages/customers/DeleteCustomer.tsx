/**
 * Deleting a customer (DeleteCustomer), behind a confirmation. The server refuses while the
 * balance is not 0.00 or orders are unfinished, instances not terminated or invoices unpaid: its
 * words are shown and nothing changes. A customer with history is kept, soft-deleted (the page
 * then shows it deleted); one without is removed, and the list says so.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { Code } from '@connectrpc/connect';
import type { CustomerInfo } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf } from '../../api.ts';
import { NS } from './strings.ts';

/** What the list shows after a customer was removed (passed as the route's state). */
export interface DeletedNotice {
  deleted: { code: string; name: string };
}

/** Whether a route state is a {@link DeletedNotice}. */
export function isDeletedNotice(state: unknown): state is DeletedNotice {
  if (typeof state !== 'object' || state === null || !('deleted' in state)) return false;
  const deleted: unknown = state.deleted;
  return typeof deleted === 'object' && deleted !== null && 'code' in deleted && 'name' in deleted;
}

/**
 * The delete button of `customer` and its confirmation. `onKept` gets the customer as the server
 * has it after a soft deletion; a removed customer leads back to the list.
 */
export function DeleteCustomer({ customer, onKept }: { customer: CustomerInfo; onKept(customer: CustomerInfo): void }) {
  const { t } = useTranslation(NS);
  const navigate = useNavigate();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [kept, setKept] = useState(false);

  const remove = async () => {
    setBusy(true);
    setRefusal(null);
    try {
      await api.customers.deleteCustomer({ id: customer.id });
    } catch (failure: unknown) {
      setRefusal(problemOf(failure).message);
      setAsking(false);
      setBusy(false);
      return;
    }
    setAsking(false);
    try {
      // Kept (soft-deleted, it had history) or removed (it had none)?
      const answer = await api.customers.getCustomer({ id: customer.id });
      if (answer.customer) {
        setKept(true);
        onKept(answer.customer);
      }
    } catch (failure: unknown) {
      const problem = problemOf(failure);
      if (problem.code === Code.NotFound) {
        const notice: DeletedNotice = { deleted: { code: customer.customerCode, name: customer.name } };
        navigate('/customers', { state: notice });
        return;
      }
      setRefusal(problem.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="cu-delete" data-testid="delete-customer">
      {customer.deletedAt === '' && !asking && (
        <button type="button" className="danger" onClick={() => { setRefusal(null); setAsking(true); }}>{t('deleteCustomer')}</button>
      )}
      {asking && (
        <div className="error" role="alertdialog" data-testid="delete-confirm">
          {t('deleteConfirm', { code: customer.customerCode, name: customer.name })}{' '}
          <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>{t('deleteNow')}</button>{' '}
          <button type="button" disabled={busy} onClick={() => setAsking(false)}>{t('cancel', { ns: 'common' })}</button>
        </div>
      )}
      {refusal && <div className="error" role="alert" data-testid="delete-refused">{t('deleteRefused')} {refusal}</div>}
      {kept && <div className="ok" role="status" data-testid="delete-kept">{t('deleteKept')}</div>}
    </div>
  );
}
