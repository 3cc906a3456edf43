/** The API keys screen's words (namespace `apikeys`), English and Chinese. */
import { registerStrings } from '../../i18n.ts';

registerStrings('apikeys', {
  en: {
    title: 'API keys', intro: 'An API key lets your scripts call our API as your account. Treat it like a password.',
    notAllowedTitle: 'API keys are not enabled for your account',
    notAllowed: 'For your security, API keys are switched on per account. Ask support to enable API keys for you.',
    askSupport: 'Ask support', newKey: 'Create a key', name: 'Key name', namePlaceholder: 'e.g. billing sync', create: 'Create key', creating: 'Creating…',
    required: 'Please give the key a name.',
    createdTitle: 'Your new API key “{{name}}”', createdWarning: 'Copy it now and keep it safe: it will not be shown again.',
    keyLabel: 'API key', copy: 'Copy', copied: 'Copied', copyFailed: 'Copying did not work; select the key and copy it yourself.', done: 'I have saved it',
    keys: 'Your keys', prefix: 'Key starts with', created: 'Created', lastUsed: 'Last used', status: 'Status', actions: 'Actions', never: 'Never',
    revoke: 'Revoke', revokeTitle: 'Revoke the key “{{name}}”?',
    revokeText: 'Anything using this key ({{prefix}}…) stops working at once. This cannot be undone.', revoked: 'The key “{{name}}” was revoked.',
    noKeys: 'You have no API keys yet.', expires: 'Expires',
  },
  zh: {
    title: 'API 密钥', intro: 'API 密钥可让您的脚本以您的账号调用我们的 API。请像密码一样妥善保管。',
    notAllowedTitle: '您的账号尚未开通 API 密钥',
    notAllowed: '为保障安全，API 密钥需按账号开通。请联系客服为您开通 API 密钥。',
    askSupport: '联系客服', newKey: '创建密钥', name: '密钥名称', namePlaceholder: '例如：账单同步', create: '创建密钥', creating: '创建中…',
    required: '请为密钥命名。',
    createdTitle: '新的 API 密钥“{{name}}”', createdWarning: '请立即复制并妥善保存：它不会再次显示。',
    keyLabel: 'API 密钥', copy: '复制', copied: '已复制', copyFailed: '复制失败，请手动选中密钥复制。', done: '我已保存',
    keys: '我的密钥', prefix: '密钥前缀', created: '创建时间', lastUsed: '最近使用', status: '状态', actions: '操作', never: '从未',
    revoke: '吊销', revokeTitle: '吊销密钥“{{name}}”？',
    revokeText: '使用此密钥（{{prefix}}…）的程序将立即无法访问。此操作无法撤销。', revoked: '密钥“{{name}}”已吊销。',
    noKeys: '您还没有 API 密钥。', expires: '过期时间',
  },
});
