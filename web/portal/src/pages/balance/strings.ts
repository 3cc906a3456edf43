/** The Balance screen's words (namespace `balance`), English and Chinese. */
import { registerStrings } from '../../i18n.ts';

registerStrings('balance', {
  en: {
    title: 'Balance', balance: 'Balance', creditLimit: 'Credit limit', available: 'Available to spend',
    availableHint: 'Your balance plus your credit limit.',
    ledger: 'Balance history', type: 'Type', allTypes: 'All types', date: 'Date', description: 'Description', amount: 'Amount',
    balanceAfter: 'Balance after', noEntries: 'No balance changes yet.',
    'type.recharge': 'Recharge', 'type.payment': 'Payment', 'type.refund': 'Refund', 'type.adjustment': 'Adjustment',
    recharge: 'Add funds', rechargeAmount: 'Amount to add', rechargeButton: 'Add {{amount}}', rechargeButtonEmpty: 'Add funds',
    starting: 'Starting the payment…',
    amountFormat: 'Enter an amount such as 10 or 10.50 (at most 2 decimal places).', amountPositive: 'The amount must be more than 0.',
    chooseMethod: 'Choose how to pay.',
    checking: 'Checking your payment of {{amount}}…', credited: '{{amount}} was added to your balance.',
    notYet: 'We have not received your payment of {{amount}} yet. Your balance updates here as soon as it arrives.',
    paymentFailed: 'The payment of {{amount}} did not go through. Nothing was charged to your balance.',
    payNow: 'Complete your payment', cancelPayment: 'Close',
  },
  zh: {
    title: '余额', balance: '余额', creditLimit: '信用额度', available: '可用金额',
    availableHint: '余额加信用额度。',
    ledger: '余额明细', type: '类型', allTypes: '全部类型', date: '时间', description: '说明', amount: '金额',
    balanceAfter: '变动后余额', noEntries: '暂无余额变动。',
    'type.recharge': '充值', 'type.payment': '支付', 'type.refund': '退款', 'type.adjustment': '调整',
    recharge: '充值', rechargeAmount: '充值金额', rechargeButton: '充值 {{amount}}', rechargeButtonEmpty: '充值',
    starting: '正在发起支付…',
    amountFormat: '请输入金额，例如 10 或 10.50（最多两位小数）。', amountPositive: '金额必须大于 0。',
    chooseMethod: '请选择支付方式。',
    checking: '正在确认您 {{amount}} 的付款…', credited: '已将 {{amount}} 充入您的余额。',
    notYet: '尚未收到您 {{amount}} 的付款。到账后余额会在此自动更新。',
    paymentFailed: '{{amount}} 的付款未成功，余额没有变化。',
    payNow: '完成支付', cancelPayment: '关闭',
  },
});

/** The ledger's transaction types (BalanceTransactionInfo.transaction_type; src/domain/ledger/ledger.ts). */
export const LEDGER_TYPES = ['recharge', 'payment', 'refund', 'adjustment'] as const;
