/** Words of the sign-in and registration screens. */
import { registerStrings } from '../i18n.ts';

registerStrings('auth', {
  en: {
    signInTitle: 'Sign in to your account', username: 'User name', password: 'Password', signIn: 'Sign in', signingIn: 'Signing in…',
    badLogin: 'The user name or password is wrong.', noAccount: 'New here?', createOne: 'Create an account',
    registerTitle: 'Create your account', email: 'E-mail address', sendCode: 'Send me a code', sending: 'Sending…',
    codeSent: 'We sent a 6-digit code to {{email}}. It is valid for 10 minutes.', resendIn: 'You can ask for another code in {{secs}} s.',
    resend: 'Send another code', code: 'Code from the e-mail', displayName: 'Your name or company', newPassword: 'Choose a password',
    passwordHint: 'At least 8 characters, with a letter and a digit or symbol.', create: 'Create account', creating: 'Creating…',
    haveAccount: 'Already have an account?', welcome: 'Welcome, {{name}}! Your account is ready.', changeEmail: 'Use another address',
    stepEmail: 'Step 1 of 2: your e-mail', stepDetails: 'Step 2 of 2: your details',
  },
  zh: {
    signInTitle: '登录您的账号', username: '用户名', password: '密码', signIn: '登录', signingIn: '正在登录…',
    badLogin: '用户名或密码错误。', noAccount: '还没有账号？', createOne: '注册账号',
    registerTitle: '创建账号', email: '电子邮箱', sendCode: '发送验证码', sending: '正在发送…',
    codeSent: '验证码已发送至 {{email}}，10 分钟内有效。', resendIn: '{{secs}} 秒后可重新发送。',
    resend: '重新发送验证码', code: '邮件中的验证码', displayName: '您的姓名或公司', newPassword: '设置密码',
    passwordHint: '至少 8 位，包含字母以及数字或符号。', create: '创建账号', creating: '正在创建…',
    haveAccount: '已有账号？', welcome: '欢迎，{{name}}！账号已创建。', changeEmail: '换一个邮箱',
    stepEmail: '第 1 步（共 2 步）：邮箱', stepDetails: '第 2 步（共 2 步）：账号信息',
  },
});
