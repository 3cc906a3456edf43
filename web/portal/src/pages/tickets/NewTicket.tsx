/**
 * Opening a ticket (`/tickets/new`; README "Tickets"): TicketService/CreateTicket { title,
 * description, priority } for the caller's own account (customer_id left empty: the server uses
 * the caller's). Empty fields are caught here; the server's refusals show beside the field they
 * name. On success the ticket opens.
 */
import { Code } from '@connectrpc/connect';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { api, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { PageTitle } from '../../ui/page.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { PRIORITIES } from './strings.ts';
import './tickets.css';

const FIELDS = ['title', 'description', 'priority'] as const;

/** The `/tickets/new` screen. */
export function NewTicket() {
  const { t } = useTranslation('tickets');
  const friendly = useFriendly();
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [priority, setPriority] = useState('medium');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() === '') { setProblem({ code: Code.InvalidArgument, message: t('required'), field: 'title' }); return; }
    if (description.trim() === '') { setProblem({ code: Code.InvalidArgument, message: t('required'), field: 'description' }); return; }
    setProblem(null);
    setBusy(true);
    api.tickets.createTicket({ customerId: '', title: title.trim(), description: description.trim(), priority }).then((answer) => {
      navigate(`/tickets/${answer.ticket?.id ?? ''}`, { state: 'created' });
    }, (failure: unknown) => setProblem(friendly(failure))).finally(() => setBusy(false));
  };
  return (
    <section className="narrow-wide">
      <p className="crumbs"><Link to="/tickets">← {t('back')}</Link></p>
      <PageTitle>{t('newTitle')}</PageTitle>
      <form className="form" onSubmit={submit} noValidate>
        <FormProblem problem={problem} fields={FIELDS} />
        <Field label={t('titleLabel')} name="title" problem={problem}>
          <input name="title" maxLength={255} value={title} onChange={(event) => setTitle(event.target.value)} />
        </Field>
        <Field label={t('priority')} name="priority" problem={problem}>
          <select name="priority" value={priority} onChange={(event) => setPriority(event.target.value)}>
            {PRIORITIES.map((value) => <option key={value} value={value}>{t(`priority.${value}`)}</option>)}
          </select>
        </Field>
        <Field label={t('descriptionLabel')} name="description" problem={problem}>
          <textarea name="description" rows={7} value={description} onChange={(event) => setDescription(event.target.value)} />
        </Field>
        <p className="hint">{t('descriptionHint')}</p>
        <div className="row-actions">
          <button type="submit" className="primary" disabled={busy}>{busy ? t('creating') : t('create')}</button>
          <Link to="/tickets" className="button">{t('cancel')}</Link>
        </div>
      </form>
    </section>
  );
}
