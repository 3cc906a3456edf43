/**
 * UI text in English and Chinese (i18next). Each page adds its own namespace of strings
 * (`registerStrings('customers', { en: {...}, zh: {...} })`), so pages own their words; `common`
 * holds the shell's. The choice is remembered in localStorage and starts from the browser's
 * language.
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
    appName: 'NodeBill admin', signIn: 'Sign in', signOut: 'Sign out', username: 'User name', password: 'Password', loading: 'Loading…',
    dashboard: 'Dashboard', customers: 'Customers', catalog: 'Catalog', orders: 'Orders', services: 'Services', payments: 'Payments',
    invoices: 'Invoices', instances: 'Instances', promotions: 'Promotions', taxRules: 'Tax rules', billingSettings: 'Billing settings',
    tickets: 'Tickets', plugins: 'Plugins', users: 'Users', audit: 'Audit log', ops: 'Ops', system: 'System',
    previous: 'Previous', next: 'Next', page: 'Page {{page}} of {{pages}} · {{total}} in all', noRows: 'Nothing here yet.',
    save: 'Save', cancel: 'Cancel', confirm: 'Confirm', search: 'Search', filter: 'Filter', all: 'All', refresh: 'Refresh',
    signedInAs: 'Signed in as {{name}} ({{role}})', badLogin: 'The user name or password is wrong.', language: 'Language',
    operatorHidden: 'Administrators only', error: 'Something went wrong: {{message}}',
  },
  zh: {
    appName: 'NodeBill 管理后台', signIn: '登录', signOut: '退出', username: '用户名', password: '密码', loading: '加载中…',
    dashboard: '概览', customers: '客户', catalog: '产品目录', orders: '订单', services: '服务', payments: '支付',
    invoices: '账单', instances: '实例', promotions: '优惠码', taxRules: '税率', billingSettings: '计费设置',
    tickets: '工单', plugins: '插件', users: '用户', audit: '操作日志', ops: '运行状态', system: '系统',
    previous: '上一页', next: '下一页', page: '第 {{page}} / {{pages}} 页 · 共 {{total}} 条', noRows: '暂无数据。',
    save: '保存', cancel: '取消', confirm: '确认', search: '搜索', filter: '筛选', all: '全部', refresh: '刷新',
    signedInAs: '当前用户 {{name}}（{{role}}）', badLogin: '用户名或密码错误。', language: '语言',
    operatorHidden: '仅限管理员', error: '出错了：{{message}}',
  },
});

export default i18next;
