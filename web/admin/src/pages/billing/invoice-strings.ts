/** The words of the invoice screens (list, detail, new draft, billing run), in English and Chinese. */
import { registerStrings } from '../../i18n.ts';

registerStrings('invoices', {
  en: {
    title: 'Invoices', status: 'Status', customer: 'Customer', number: 'Number', period: 'Billing period', amount: 'Subtotal', tax: 'Tax', total: 'Total',
    due: 'Due date', issuedAt: 'Issued', paidAt: 'Paid', createdAt: 'Created', source: 'Source', notes: 'Notes', open: 'Open', noNumber: '(draft: no number yet)',
    anyStatus: 'Any status', newDraft: 'New draft invoice', generate: 'Generate invoices', back: '← All invoices',
    manual: 'By hand', generated: 'Billing run', renewal: 'Renewal', renewalOrder: 'Renews order', items: 'Line items',
    description: 'Description', quantity: 'Quantity', unitPrice: 'Unit price', itemAmount: 'Amount', addItem: 'Add a line', removeItem: 'Remove',
    periodStart: 'Period start', periodEnd: 'Period end', calculate: 'Calculate subtotal and total', createDraft: 'Create draft',
    created: 'Draft created.', issue: 'Issue', cancelInvoice: 'Cancel invoice', deleteDraft: 'Delete draft', payFromBalance: 'Record payment from balance',
    pdf: 'PDF', saveNotes: 'Save notes', confirmCancel: 'Cancel this invoice? Its number stays taken.', confirmDelete: 'Delete this draft?',
    confirmPay: 'Pay {{total}} of this invoice from the customer\'s balance?', issuedOk: 'Issued as {{number}}.', cancelledOk: 'Invoice cancelled.',
    paidOk: 'Paid from the balance (payment {{payment}}).', notesOk: 'Notes saved.', deletedOk: 'Draft deleted.',
    generateTitle: 'Generate the invoices of a billing period', generateHint: 'One issued invoice per customer with active or completed orders created in the period; a period is billed once.',
    generating: 'Generating invoices… this can take a while.', generatedCount: '{{count}} invoices generated for {{start}} – {{end}}.', run: 'Generate',
    notFound: 'No such invoice.', invalidItem: 'Line {{n}}: ', quantityWhole: 'quantity must be a whole number',
  },
  zh: {
    title: '账单', status: '状态', customer: '客户', number: '账单号', period: '计费周期', amount: '小计', tax: '税额', total: '合计',
    due: '到期日', issuedAt: '开具时间', paidAt: '支付时间', createdAt: '创建时间', source: '来源', notes: '备注', open: '查看', noNumber: '（草稿：尚无编号）',
    anyStatus: '全部状态', newDraft: '新建草稿账单', generate: '生成账单', back: '← 返回账单列表',
    manual: '手工创建', generated: '计费批量生成', renewal: '续费', renewalOrder: '续费订单', items: '明细',
    description: '描述', quantity: '数量', unitPrice: '单价', itemAmount: '金额', addItem: '添加一行', removeItem: '删除',
    periodStart: '周期开始', periodEnd: '周期结束', calculate: '计算小计与合计', createDraft: '创建草稿',
    created: '草稿已创建。', issue: '开具', cancelInvoice: '作废账单', deleteDraft: '删除草稿', payFromBalance: '从余额记录付款',
    pdf: 'PDF', saveNotes: '保存备注', confirmCancel: '确定作废此账单？其编号仍会保留。', confirmDelete: '确定删除此草稿？',
    confirmPay: '确定从客户余额支付此账单的 {{total}}？', issuedOk: '已开具，编号 {{number}}。', cancelledOk: '账单已作废。',
    paidOk: '已从余额支付（支付单 {{payment}}）。', notesOk: '备注已保存。', deletedOk: '草稿已删除。',
    generateTitle: '生成一个计费周期的账单', generateHint: '为该周期内有生效或已完成订单的每个客户开具一张账单；同一周期只会计费一次。',
    generating: '正在生成账单……可能需要一些时间。', generatedCount: '已为 {{start}} – {{end}} 生成 {{count}} 张账单。', run: '生成',
    notFound: '没有这张账单。', invalidItem: '第 {{n}} 行：', quantityWhole: '数量必须是整数',
  },
});
