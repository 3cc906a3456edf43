/**
 * One ticket (`/tickets/:id`; README "Tickets"): TicketService/GetTicket — title, status in words,
 * priority, the description and the public replies oldest first (the server leaves internal notes
 * out of a customer's answer) — and a reply box (CreateReply; a closed ticket takes none: the
 * customer is pointed to a new ticket). Reloads when the window regains focus.
 */
import { Code } from '@connectrpc/connect';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router-dom';
import type { TicketInfo } from '../../../../../src/gen/rustbill/ticket_pb.ts';
import { api, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { ErrorBox, Loading, Notice, PageTitle } from '../../ui/page.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Time } from '../../../../shared/format.tsx';
import { PriorityName, TicketStatus } from './common.tsx';
import './tickets.css';

/** The `/tickets/:id` screen. */
export function TicketDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation('tickets');
  const friendly = useFriendly();
  const location = useLocation();
  const [ticket, setTicket] = useState<TicketInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let live = true;
    api.tickets.getTicket({ id }).then(
      (answer) => { if (live) { setTicket(answer.ticket ?? null); setError(null); } },
      (failure: unknown) => { if (live) setError(friendly(failure).message); },
    );
    return () => { live = false; };
  }, [id, version, friendly]);
  useEffect(() => {
    window.addEventListener('focus', reload);
    return () => window.removeEventListener('focus', reload);
  }, [reload]);
  if (ticket === null) {
    return error === null ? <Loading /> : <section><PageTitle>{t('title')}</PageTitle><ErrorBox message={error} onRetry={reload} /><p><Link to="/tickets">{t('back')}</Link></p></section>;
  }
  return (
    <section className="ticket-screen">
      <p className="crumbs"><Link to="/tickets">← {t('back')}</Link></p>
      <PageTitle>{ticket.title}</PageTitle>
      {location.state === 'created' && <Notice>{t('created')}</Notice>}
      <p className="ticket-meta">
        <span data-testid="ticket-status"><TicketStatus ticket={ticket} /></span>{' · '}
        {t('priority')}: <PriorityName priority={ticket.priority} />{' · '}
        {t('opened')}: <Time value={ticket.createdAt} />
      </p>
      <h2>{t('conversation')}</h2>
      <ol className="conversation" data-testid="conversation">
        <li className="ticket-message mine">
          <div className="ticket-message-head"><strong>{t('you')}</strong><Time value={ticket.createdAt} /></div>
          <p className="ticket-message-body">{ticket.description}</p>
        </li>
        {ticket.replies.map((reply) => {
          const staff = reply.userId !== '';
          return (
            <li key={reply.id} className={staff ? 'ticket-message staff' : 'ticket-message mine'} data-testid="reply" data-author={staff ? 'support' : 'customer'}>
              <div className="ticket-message-head"><strong>{staff ? t('support') : t('you')}</strong><Time value={reply.createdAt} /></div>
              <p className="ticket-message-body">{reply.content}</p>
            </li>
          );
        })}
      </ol>
      {ticket.status === 'closed'
        ? <p className="muted">{t('closedNote')} <Link to="/tickets/new">{t('newTicket')}</Link></p>
        : <ReplyBox ticketId={ticket.id} onSent={reload} />}
    </section>
  );
}

/** The reply form; `onSent` after the server took the reply. */
function ReplyBox({ ticketId, onSent }: { ticketId: string; onSent(): void }) {
  const { t } = useTranslation('tickets');
  const friendly = useFriendly();
  const [content, setContent] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSent(false);
    if (content.trim() === '') { setProblem({ code: Code.InvalidArgument, message: t('required'), field: 'content' }); return; }
    setProblem(null);
    setBusy(true);
    api.tickets.createReply({ ticketId, content: content.trim(), isInternal: false }).then(() => {
      setContent('');
      setSent(true);
      onSent();
    }, (failure: unknown) => setProblem(friendly(failure))).finally(() => setBusy(false));
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      <FormProblem problem={problem} fields={['content']} />
      <Field label={t('replyLabel')} name="content" problem={problem}>
        <textarea name="content" rows={5} value={content} onChange={(event) => setContent(event.target.value)} />
      </Field>
      {sent && <Notice>{t('replySent')}</Notice>}
      <button type="submit" className="primary" disabled={busy}>{busy ? t('sending') : t('send')}</button>
    </form>
  );
}
