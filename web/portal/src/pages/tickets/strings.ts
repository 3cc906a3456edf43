/** The Support screens' words (namespace `tickets`), English and Chinese. */
import { registerStrings } from '../../i18n.ts';

registerStrings('tickets', {
  en: {
    title: 'Support', newTicket: 'New ticket', status: 'Status', allStatuses: 'All tickets', subject: 'Subject', priority: 'Priority',
    updated: 'Last update', noTickets: 'You have no support tickets. Need help? Open a ticket.', back: 'All tickets',
    'status.pending': 'Open', 'status.processing': 'In progress', 'status.resolved': 'Resolved', 'status.closed': 'Closed',
    waiting: 'Waiting for your reply',
    'priority.low': 'Low', 'priority.medium': 'Normal', 'priority.high': 'High', 'priority.urgent': 'Urgent',
    newTitle: 'Open a support ticket', titleLabel: 'Subject', descriptionLabel: 'Describe the problem',
    descriptionHint: 'Tell us what you see, since when, and which service or server it is about.',
    create: 'Send ticket', creating: 'Sending…', cancel: 'Cancel', required: 'Please fill this in.',
    opened: 'Opened', you: 'You', support: 'Support team', conversation: 'Conversation',
    replyLabel: 'Your reply', send: 'Send reply', sending: 'Sending…', replySent: 'Your reply was sent.',
    closedNote: 'This ticket is closed. If you need more help, open a new ticket.',
    created: 'Your ticket was sent. We will reply here.',
  },
  zh: {
    title: '工单支持', newTicket: '提交工单', status: '状态', allStatuses: '全部工单', subject: '主题', priority: '优先级',
    updated: '最近更新', noTickets: '您还没有工单。需要帮助？请提交工单。', back: '全部工单',
    'status.pending': '待处理', 'status.processing': '处理中', 'status.resolved': '已解决', 'status.closed': '已关闭',
    waiting: '等待您回复',
    'priority.low': '低', 'priority.medium': '普通', 'priority.high': '高', 'priority.urgent': '紧急',
    newTitle: '提交工单', titleLabel: '主题', descriptionLabel: '问题描述',
    descriptionHint: '请说明您遇到的现象、开始时间，以及涉及的服务或服务器。',
    create: '提交工单', creating: '提交中…', cancel: '取消', required: '请填写此项。',
    opened: '提交时间', you: '我', support: '客服团队', conversation: '沟通记录',
    replyLabel: '您的回复', send: '发送回复', sending: '发送中…', replySent: '回复已发送。',
    closedNote: '此工单已关闭。如需更多帮助，请提交新工单。',
    created: '工单已提交，我们会在此回复您。',
  },
});

/** Ticket statuses, in their order (src/domain/tickets/ticket.ts). */
export const TICKET_STATUSES = ['pending', 'processing', 'resolved', 'closed'] as const;
/** Ticket priorities. */
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
