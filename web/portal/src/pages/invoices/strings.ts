/** The Invoices screens' words (namespace `invoices`), English and Chinese. */
import { registerStrings } from '../../i18n.ts';

registerStrings('invoices', {
  en: {
    title: 'Invoices', status: 'Status', allStatuses: 'All invoices', number: 'Invoice', issued: 'Issued', due: 'Due date', total: 'Total',
    draftNumber: 'Draft', noInvoices: 'You have no invoices yet.', open: 'Open', back: 'All invoices',
    invoiceTitle: 'Invoice {{number}}', period: 'Billing period', issuedAt: 'Issued', paidAt: 'Paid', dueDate: 'Due date', notes: 'Notes',
    items: 'Items', item: 'Description', quantity: 'Quantity', unitPrice: 'Unit price', amount: 'Amount',
    subtotal: 'Subtotal', tax: 'Tax', totalDue: 'Total', downloadPdf: 'Download PDF', pdfFailed: 'The PDF could not be downloaded just now. Please try again.',
    pay: 'Pay this invoice', payButton: 'Pay {{amount}}', paying: 'Paying…', paidNotice: 'Thank you — the invoice is paid.',
    overdueNote: 'This invoice is past its due date. Please pay it soon to keep your services running.',
    checking: 'Checking your payment…', notYet: 'We have not received your payment yet. This page updates as soon as it arrives.',
    paymentFailed: 'The payment did not go through. You can try again.',
    chooseMethod: 'Choose how to pay.', closePayment: 'Close',
    'source.manual': 'Issued by our team', 'source.generated': 'Monthly bill', 'source.renewal': 'Renewal',
  },
  zh: {
    title: '账单', status: '状态', allStatuses: '全部账单', number: '账单号', issued: '开具时间', due: '到期日', total: '合计',
    draftNumber: '草稿', noInvoices: '您还没有账单。', open: '查看', back: '全部账单',
    invoiceTitle: '账单 {{number}}', period: '计费周期', issuedAt: '开具时间', paidAt: '支付时间', dueDate: '到期日', notes: '备注',
    items: '明细', item: '项目', quantity: '数量', unitPrice: '单价', amount: '金额',
    subtotal: '小计', tax: '税费', totalDue: '合计', downloadPdf: '下载 PDF', pdfFailed: '暂时无法下载 PDF，请重试。',
    pay: '支付此账单', payButton: '支付 {{amount}}', paying: '支付中…', paidNotice: '谢谢，账单已支付。',
    overdueNote: '此账单已逾期，请尽快支付，以免影响您的服务。',
    checking: '正在确认您的付款…', notYet: '尚未收到您的付款。到账后本页会自动更新。',
    paymentFailed: '付款未成功，您可以重试。',
    chooseMethod: '请选择支付方式。', closePayment: '关闭',
    'source.manual': '人工开具', 'source.generated': '月度账单', 'source.renewal': '续费',
  },
});

/** Invoice statuses (src/domain/billing/invoice.ts). */
export const INVOICE_STATUSES = ['issued', 'overdue', 'paid', 'cancelled', 'draft'] as const;
