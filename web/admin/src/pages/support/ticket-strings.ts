/**
 * The words of the ticket screens (queue and ticket page) in English and Chinese, and the ticket
 * statuses and priorities the server knows (src/domain/tickets/ticket.ts).
 */
import { registerStrings } from '../../i18n.ts';

/** Ticket statuses, in the order of their flow. */
export const TICKET_STATUSES = ['pending', 'processing', 'resolved', 'closed'] as const;
/** Ticket priorities, lowest first. */
export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

/** The badge colour of a status or priority. */
export function badgeClass(value: string): string {
  switch (value) {
    case 'pending': case 'high': return 'badge orange';
    case 'processing': case 'medium': return 'badge yellow';
    case 'resolved': return 'badge green';
    case 'urgent': return 'badge red';
    default: return 'badge';
  }
}

registerStrings('tickets', {
  en: {
    queueTitle: 'Ticket queue', title: 'Title', customer: 'Customer', status: 'Status', priority: 'Priority', assignee: 'Assignee',
    created: 'Opened', updated: 'Updated', anyStatus: 'Any status', anyPriority: 'Any priority', anyAssignee: 'Anyone', unassigned: 'Nobody',
    me: 'Me', customerId: 'Customer id', apply: 'Apply filters', clear: 'Clear',
    status_pending: 'Pending', status_processing: 'Processing', status_resolved: 'Resolved', status_closed: 'Closed',
    priority_low: 'Low', priority_medium: 'Medium', priority_high: 'High', priority_urgent: 'Urgent',
    back: '← Back to the queue', description: 'Description', creator: 'Opened by', replies: 'Conversation', noReplies: 'No replies yet.',
    assignToMe: 'Assign to me', saveChanges: 'Save changes', saved: 'Saved.', replyLabel: 'Your reply', sendReply: 'Reply to the customer',
    addNote: 'Add internal note', internalNote: 'Internal note — not shown to the customer', fromCustomer: 'Customer', fromStaff: 'Staff',
    replySent: 'Reply sent to the customer.', noteAdded: 'Internal note added.', emptyReply: 'Write something first.', ticketId: 'Ticket',
    manage: 'Handle the ticket',
  },
  zh: {
    queueTitle: '工单队列', title: '标题', customer: '客户', status: '状态', priority: '优先级', assignee: '处理人',
    created: '创建时间', updated: '更新时间', anyStatus: '全部状态', anyPriority: '全部优先级', anyAssignee: '全部处理人', unassigned: '未分配',
    me: '我', customerId: '客户 ID', apply: '筛选', clear: '清除',
    status_pending: '待处理', status_processing: '处理中', status_resolved: '已解决', status_closed: '已关闭',
    priority_low: '低', priority_medium: '中', priority_high: '高', priority_urgent: '紧急',
    back: '← 返回工单队列', description: '问题描述', creator: '创建人', replies: '对话', noReplies: '暂无回复。',
    assignToMe: '分配给我', saveChanges: '保存修改', saved: '已保存。', replyLabel: '回复内容', sendReply: '回复客户',
    addNote: '添加内部备注', internalNote: '内部备注——客户不可见', fromCustomer: '客户', fromStaff: '客服',
    replySent: '已回复客户。', noteAdded: '已添加内部备注。', emptyReply: '请先填写内容。', ticketId: '工单',
    manage: '处理工单',
  },
});
