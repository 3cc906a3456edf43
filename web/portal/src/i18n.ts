/**
 * The portal's words in English and Chinese (i18next), as in the admin console: each page adds its
 * own namespace (`registerStrings('shop', { en: {...}, zh: {...} })`); `common` holds the shell's
 * and the shared pieces' (web/shared: paging, loading). The choice is remembered in localStorage
 * and starts from the browser's language.
 */
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

export type Strings = Record<string, string>;

const saved = window.localStorage.getItem('nodebill.lang');
const initial = saved === 'zh' || saved === 'en' ? saved : navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';

void i18next.use(initReactI18next).init({
  lng: initial,
  fallbackLng: 'en',
  ns: ['common'],
  defaultNS: 'common',
  resources: {},
  interpolation: { escapeValue: false },
});
document.documentElement.lang = initial === 'zh' ? 'zh-CN' : 'en';

/** Adds a namespace of strings in both languages. */
export function registerStrings(namespace: string, strings: { en: Strings; zh: Strings }): void {
  i18next.addResourceBundle('en', namespace, strings.en, true, true);
  i18next.addResourceBundle('zh', namespace, strings.zh, true, true);
}

/** Switches the language (and remembers it). */
export function setLanguage(lang: 'en' | 'zh'): void {
  window.localStorage.setItem('nodebill.lang', lang);
  void i18next.changeLanguage(lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

registerStrings('common', {
  en: {
    appName: 'NodeBill', store: 'Store', services: 'My services', orders: 'My orders', instances: 'My servers', balance: 'Balance',
    invoices: 'Invoices', tickets: 'Support', apiKeys: 'API keys', settings: 'Settings', signIn: 'Sign in', signOut: 'Sign out',
    register: 'Create an account', menu: 'Menu', closeMenu: 'Close menu', language: 'Language', loading: 'Loading…',
    previous: 'Previous', next: 'Next', page: 'Page {{page}} of {{pages}} · {{total}} in all', noRows: 'Nothing here yet.',
    save: 'Save', cancel: 'Cancel', confirm: 'Confirm', back: 'Back', close: 'Close', skipToContent: 'Skip to content',
    signedInAs: 'Signed in as {{name}}', retry: 'Try again', notFoundTitle: 'Page not found', notFoundText: 'This page does not exist.',
    toStore: 'Go to the store', signInToContinue: 'Sign in to continue.',
    'status.pending': 'Awaiting payment', 'status.paid': 'Paid', 'status.provisioning': 'Setting up', 'status.active': 'Active',
    'status.suspended': 'Suspended', 'status.cancelled': 'Cancelled', 'status.completed': 'Ended', 'status.refunded': 'Refunded',
    'status.failed': 'Failed', 'status.running': 'Running', 'status.stopped': 'Stopped', 'status.terminated': 'Terminated',
    'status.error': 'Error', 'status.draft': 'Draft', 'status.issued': 'Due', 'status.overdue': 'Overdue', 'status.open': 'Open',
    'status.in_progress': 'In progress', 'status.waiting_customer': 'Waiting for you', 'status.resolved': 'Resolved', 'status.closed': 'Closed',
    'status.revoked': 'Revoked', 'status.success': 'Succeeded', 'status.partially_refunded': 'Partly refunded',
    'cycle.monthly': 'Monthly', 'cycle.quarterly': 'Quarterly', 'cycle.semi_annually': 'Every 6 months', 'cycle.semiannually': 'Every 6 months',
    'cycle.yearly': 'Yearly', 'cycle.annually': 'Yearly', 'cycle.biennially': 'Every 2 years', 'cycle.triennially': 'Every 3 years',
    'errors.signedOut': 'Your session has ended. Please sign in again.',
    'errors.unavailable': 'We could not reach the service just now. Please try again in a moment.',
    'errors.tooMany': 'Too many attempts. Please wait a minute and try again.',
    'errors.insufficientFunds': 'Your balance and credit do not cover this amount. Add funds, or pay another way.',
    'errors.notAllowed': 'This is not available to your account.',
    'errors.notFound': 'We could not find that. It may have been removed.',
    'errors.unexpected': 'Something went wrong on our side. Please try again; if it keeps happening, contact support.',
  },
  zh: {
    appName: 'NodeBill', store: '商店', services: '我的服务', orders: '我的订单', instances: '我的服务器', balance: '余额',
    invoices: '账单', tickets: '工单支持', apiKeys: 'API 密钥', settings: '设置', signIn: '登录', signOut: '退出',
    register: '注册账号', menu: '菜单', closeMenu: '关闭菜单', language: '语言', loading: '加载中…',
    previous: '上一页', next: '下一页', page: '第 {{page}} / {{pages}} 页 · 共 {{total}} 条', noRows: '暂无数据。',
    save: '保存', cancel: '取消', confirm: '确认', back: '返回', close: '关闭', skipToContent: '跳到正文',
    signedInAs: '当前用户 {{name}}', retry: '重试', notFoundTitle: '页面不存在', notFoundText: '没有这个页面。',
    toStore: '去商店', signInToContinue: '请先登录。',
    'status.pending': '待支付', 'status.paid': '已支付', 'status.provisioning': '开通中', 'status.active': '使用中',
    'status.suspended': '已暂停', 'status.cancelled': '已取消', 'status.completed': '已结束', 'status.refunded': '已退款',
    'status.failed': '失败', 'status.running': '运行中', 'status.stopped': '已关机', 'status.terminated': '已销毁',
    'status.error': '异常', 'status.draft': '草稿', 'status.issued': '待支付', 'status.overdue': '已逾期', 'status.open': '待处理',
    'status.in_progress': '处理中', 'status.waiting_customer': '等待您回复', 'status.resolved': '已解决', 'status.closed': '已关闭',
    'status.revoked': '已吊销', 'status.success': '成功', 'status.partially_refunded': '部分退款',
    'cycle.monthly': '月付', 'cycle.quarterly': '季付', 'cycle.semi_annually': '半年付', 'cycle.semiannually': '半年付',
    'cycle.yearly': '年付', 'cycle.annually': '年付', 'cycle.biennially': '两年付', 'cycle.triennially': '三年付',
    'errors.signedOut': '登录已过期，请重新登录。',
    'errors.unavailable': '暂时无法连接服务，请稍后再试。',
    'errors.tooMany': '尝试次数过多，请稍等一分钟再试。',
    'errors.insufficientFunds': '余额和信用额度不足以支付，请先充值或换一种支付方式。',
    'errors.notAllowed': '您的账号无法使用此功能。',
    'errors.notFound': '找不到该内容，它可能已被删除。',
    'errors.unexpected': '系统出了点问题，请重试；如果一直出现，请联系客服。',
  },
});

export default i18next;
