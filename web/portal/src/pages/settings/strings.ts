/** The Settings screen's words (namespace `settings`), English and Chinese. */
import { registerStrings } from '../../i18n.ts';

registerStrings('settings', {
  en: {
    title: 'Settings', profile: 'Your profile', username: 'User name', email: 'E-mail', displayName: 'Display name', customerId: 'Customer number',
    memberSince: 'Member since', languageTitle: 'Language', languageLabel: 'Display language', languageHint: 'The portal and its messages use this language.',
    passwordTitle: 'Change your password', currentPassword: 'Current password', newPassword: 'New password', repeatPassword: 'Repeat the new password',
    passwordHint: 'At least 8 characters, with a letter and a digit or symbol.', change: 'Change password', changing: 'Changing…',
    required: 'Please fill this in.', mismatch: 'The two new passwords are not the same.',
    wrongCurrent: 'The current password is not right.', sameAsOld: 'The new password must be different from the current one.',
    weak: 'Choose a stronger password: 8 to 72 characters, with a letter and a digit or symbol.',
    changed: 'Your password was changed. You stay signed in here; other devices were signed out and need the new password.',
  },
  zh: {
    title: '设置', profile: '个人资料', username: '用户名', email: '邮箱', displayName: '显示名称', customerId: '客户编号',
    memberSince: '注册时间', languageTitle: '语言', languageLabel: '界面语言', languageHint: '门户及其提示信息将使用此语言。',
    passwordTitle: '修改密码', currentPassword: '当前密码', newPassword: '新密码', repeatPassword: '再次输入新密码',
    passwordHint: '至少 8 个字符，包含字母以及数字或符号。', change: '修改密码', changing: '修改中…',
    required: '请填写此项。', mismatch: '两次输入的新密码不一致。',
    wrongCurrent: '当前密码不正确。', sameAsOld: '新密码不能与当前密码相同。',
    weak: '请设置更安全的密码：8 到 72 个字符，包含字母以及数字或符号。',
    changed: '密码已修改。您在此处仍保持登录；其他设备已退出，需要使用新密码登录。',
  },
});
