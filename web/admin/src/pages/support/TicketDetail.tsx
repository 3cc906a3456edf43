/**
 * One ticket (issue 12): GetTicket with every reply (internal notes marked), assignment to an
 * admin user and status/priority changes (UpdateTicket, only what changed is sent), and replies —
 * public to the customer or internal notes (CreateReply `is_internal`). A refused change shows the
 * server's words and leaves the page as the server has it.
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { TicketInfo } from '../../../../../src/gen/rustbill/ticket_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Time } from '../../../../shared/format.tsx';
import { staffName, useAdminUsers } from './admin-users.ts';
import { badgeClass, TICKET_PRIORITIES, TICKET_STATUSES } from './ticket-strings.ts';

/** The editable fields of the ticket, as the form holds them. */
interface TicketDraft {
  status: string;
  priority: string;
  assignee: string;
}

function draftOf(ticket: TicketInfo): TicketDraft {
  return { status: ticket.status, priority: ticket.priority, assignee: ticket.assigneeUserId };
}

/** The ticket page (route `tickets/:id`). */
export default function TicketDetail() {
  const { t } = useTranslation('tickets');
  const { id = '' } = useParams();
  const session = useSession();
  const staff = useAdminUsers();
  const [ticket, setTicket] = useState<TicketInfo | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<TicketDraft>({ status: '', priority: '', assignee: '' });
  const [updateProblem, setUpdateProblem] = useState<ApiProblem | null>(null);
  const [updateNotice, setUpdateNotice] = useState<string | null>(null);
  const [reply, setReply] = useState('');
  const [replyProblem, setReplyProblem] = useState<ApiProblem | null>(null);
  const [replyNotice, setReplyNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = useCallback((next: TicketInfo | undefined) => {
    if (!next) return;
    setTicket(next);
    setDraft(draftOf(next));
  }, []);
  const reload = useCallback(() => api.tickets.getTicket({ id }).then((answer) => show(answer.ticket)), [id, show]);
  useEffect(() => {
    reload().catch((failure: unknown) => setLoadError(problemOf(failure).message));
  }, [reload]);

  /** Sends the fields of `wanted` that differ from the ticket (nothing when none does). */
  const update = (wanted: TicketDraft) => {
    if (!ticket) return;
    const changes = {
      ...(wanted.status !== ticket.status ? { status: wanted.status } : {}),
      ...(wanted.priority !== ticket.priority ? { priority: wanted.priority } : {}),
      ...(wanted.assignee !== ticket.assigneeUserId ? { assigneeUserId: wanted.assignee } : {}),
    };
    setUpdateProblem(null);
    setUpdateNotice(null);
    if (Object.keys(changes).length === 0) return;
    setBusy(true);
    api.tickets.updateTicket({ id: ticket.id, ...changes }).then(
      (answer) => { show(answer.ticket); setUpdateNotice(t('saved')); },
      (failure: unknown) => { setUpdateProblem(problemOf(failure)); setDraft(draftOf(ticket)); },
    ).finally(() => setBusy(false));
  };

  const send = (isInternal: boolean) => {
    if (!ticket) return;
    setReplyProblem(null);
    setReplyNotice(null);
    if (reply.trim() === '') {
      setReplyProblem({ code: 3, message: t('emptyReply'), field: 'content' });
      return;
    }
    setBusy(true);
    api.tickets.createReply({ ticketId: ticket.id, content: reply, isInternal }).then(
      () => reload().then(() => { setReply(''); setReplyNotice(isInternal ? t('noteAdded') : t('replySent')); }),
      (failure: unknown) => setReplyProblem(problemOf(failure)),
    ).finally(() => setBusy(false));
  };

  if (loadError) return <section><Link to="..">{t('back')}</Link><div className="error" role="alert">{loadError}</div></section>;
  if (!ticket) return <p className="muted">…</p>;
  const me = session.user?.id ?? '';
  return (
    <section>
      <Link to="..">{t('back')}</Link>
      <h1 data-testid="ticket-title">{ticket.title}</h1>
      <dl className="ticket-facts">
        <dt>{t('ticketId')}</dt><dd><code>{ticket.id}</code></dd>
        <dt>{t('customer')}</dt><dd><code>{ticket.customerId}</code></dd>
        <dt>{t('status')}</dt><dd><span className={badgeClass(ticket.status)} data-testid="ticket-status">{t(`status_${ticket.status}`)}</span></dd>
        <dt>{t('priority')}</dt><dd><span className={badgeClass(ticket.priority)} data-testid="ticket-priority">{t(`priority_${ticket.priority}`)}</span></dd>
        <dt>{t('assignee')}</dt><dd data-testid="ticket-assignee">{ticket.assigneeUserId ? staffName(staff, ticket.assigneeUserId) : <span className="muted">{t('unassigned')}</span>}</dd>
        <dt>{t('created')}</dt><dd><Time value={ticket.createdAt} /></dd>
        <dt>{t('updated')}</dt><dd><Time value={ticket.updatedAt} /></dd>
      </dl>
      <h2>{t('description')}</h2>
      <div className="ticket-description">{ticket.description}</div>

      <h2>{t('manage')}</h2>
      <form className="toolbar panel" aria-label={t('manage')} onSubmit={(event) => { event.preventDefault(); update(draft); }}>
        <Field label={t('status')} name="status" problem={updateProblem}>
          <select name="status" value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            {TICKET_STATUSES.map((status) => <option key={status} value={status}>{t(`status_${status}`)}</option>)}
          </select>
        </Field>
        <Field label={t('priority')} name="priority" problem={updateProblem}>
          <select name="priority" value={draft.priority} onChange={(event) => setDraft({ ...draft, priority: event.target.value })}>
            {TICKET_PRIORITIES.map((priority) => <option key={priority} value={priority}>{t(`priority_${priority}`)}</option>)}
          </select>
        </Field>
        <Field label={t('assignee')} name="assignee_user_id" problem={updateProblem}>
          <select name="assignee" value={draft.assignee} onChange={(event) => setDraft({ ...draft, assignee: event.target.value })}>
            <option value="">{t('unassigned')}</option>
            {staff.users.map((user) => <option key={user.id} value={user.id}>{staffName(staff, user.id)}</option>)}
          </select>
        </Field>
        <button type="submit" className="primary" disabled={busy}>{t('saveChanges')}</button>
        <button type="button" disabled={busy || me === '' || ticket.assigneeUserId === me} onClick={() => update({ ...draftOf(ticket), assignee: me })}>{t('assignToMe')}</button>
        {updateNotice && <span className="ok" role="status">{updateNotice}</span>}
      </form>
      <FormProblem problem={updateProblem} fields={['status', 'priority', 'assignee_user_id']} />

      <h2>{t('replies')}</h2>
      <div className="replies" data-testid="ticket-replies">
        {ticket.replies.length === 0 && <p className="muted">{t('noReplies')}</p>}
        {ticket.replies.map((entry) => (
          <article key={entry.id} className={entry.isInternal ? 'reply internal' : entry.customerId ? 'reply customer' : 'reply'} data-testid={entry.isInternal ? 'reply-internal' : 'reply-public'}>
            <div className="reply-head">
              <strong>{entry.userId ? staffName(staff, entry.userId) : t('fromCustomer')}</strong>
              <Time value={entry.createdAt} />
              {entry.isInternal && <span className="badge yellow">{t('internalNote')}</span>}
            </div>
            <div className="reply-body">{entry.content}</div>
          </article>
        ))}
      </div>
      <form className="form" aria-label={t('replyLabel')} onSubmit={(event) => { event.preventDefault(); send(false); }}>
        <Field label={t('replyLabel')} name="content" problem={replyProblem}>
          <textarea name="content" rows={4} value={reply} onChange={(event) => setReply(event.target.value)} />
        </Field>
        <FormProblem problem={replyProblem} fields={['content']} />
        <div className="row-actions">
          <button type="submit" className="primary" disabled={busy}>{t('sendReply')}</button>
          <button type="button" disabled={busy} onClick={() => send(true)}>{t('addNote')}</button>
          {replyNotice && <span className="ok" role="status">{replyNotice}</span>}
        </div>
      </form>
    </section>
  );
}
