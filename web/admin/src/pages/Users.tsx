/**
 * Users (issue 12): staff (admins and operators) and customer users — ListUsers filtered on the
 * server (type, role, active, search), one page at a time. Edit a user's display name, e-mail,
 * role (staff) and active state (UpdateUser); admins also reset passwords (AdminResetPassword) and
 * delete users (DeleteUser), actions operators do not see (the server refuses them anyway).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { UserInfo } from '../../../../src/gen/rustbill/identity_pb.ts';
import { api, problemOf, type ApiProblem } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { useSession } from '../session.tsx';
import { Field, FormProblem } from '../../../shared/form.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../shared/list.tsx';
import './support/support.css';

registerStrings('users', {
  en: {
    title: 'Users', staff: 'Admins and operators', customers: 'Customer users', username: 'User name', displayName: 'Display name', email: 'E-mail',
    role: 'Role', active: 'Active', created: 'Created', customer: 'Customer', actions: 'Actions', anyRole: 'Any role', anyState: 'Active or not',
    onlyActive: 'Active only', onlyInactive: 'Inactive only', search: 'Search name or e-mail', apply: 'Apply filters', role_admin: 'Admin', role_operator: 'Operator',
    yes: 'Active', no: 'Disabled', edit: 'Edit', resetPassword: 'Reset password', delete: 'Delete', editTitle: 'Edit {{name}}', save: 'Save',
    cancel: 'Cancel', saved: '{{name}} saved.', resetTitle: 'New password for {{name}}', newPassword: 'New password', reset: 'Set password',
    resetDone: 'The password of {{name}} was changed.', deleteTitle: 'Delete {{name}}?', deleteWarning: 'The user can no longer sign in. This cannot be undone.',
    confirmDelete: 'Delete the user', deleted: '{{name}} was deleted.', newUser: 'New admin or operator', create: 'Create', password: 'Password',
    created_ok: '{{name}} was created.',
  },
  zh: {
    title: '用户', staff: '管理员与操作员', customers: '客户用户', username: '用户名', displayName: '显示名称', email: '邮箱',
    role: '角色', active: '状态', created: '创建时间', customer: '客户', actions: '操作', anyRole: '全部角色', anyState: '全部状态',
    onlyActive: '仅启用', onlyInactive: '仅停用', search: '搜索用户名或邮箱', apply: '筛选', role_admin: '管理员', role_operator: '操作员',
    yes: '启用', no: '停用', edit: '编辑', resetPassword: '重置密码', delete: '删除', editTitle: '编辑 {{name}}', save: '保存',
    cancel: '取消', saved: '已保存 {{name}}。', resetTitle: '为 {{name}} 设置新密码', newPassword: '新密码', reset: '设置密码',
    resetDone: '{{name}} 的密码已修改。', deleteTitle: '删除 {{name}}？', deleteWarning: '该用户将无法再登录，且无法恢复。',
    confirmDelete: '确认删除', deleted: '已删除 {{name}}。', newUser: '新建管理员或操作员', create: '创建', password: '密码',
    created_ok: '已创建 {{name}}。',
  },
});

type UserType = 'admin' | 'customer';

interface UserFilters {
  userType: UserType;
  role: string;
  active: '' | 'true' | 'false';
  search: string;
}

/** What the panel under the table is doing with which user (or creating one). */
type Panel = { kind: 'edit' | 'reset' | 'delete'; user: UserInfo } | { kind: 'create' } | null;

async function loadUsers(query: PageQuery<UserFilters>): Promise<{ rows: UserInfo[]; total: number }> {
  const { filters } = query;
  const answer = await api.identity.listUsers({
    pagination: { page: query.page, pageSize: query.pageSize },
    userType: filters.userType,
    ...(filters.userType === 'admin' && filters.role ? { role: filters.role } : {}),
    ...(filters.active ? { isActive: filters.active === 'true' } : {}),
    ...(filters.search.trim() ? { search: filters.search.trim() } : {}),
  });
  return { rows: answer.users, total: Number(answer.meta?.total ?? 0) };
}

function nameOf(user: UserInfo): string {
  return user.displayName || user.username;
}

/** The Users screen. */
export default function UsersPage() {
  const { t } = useTranslation('users');
  const session = useSession();
  const list = useServerList(loadUsers, { userType: 'admin', role: '', active: '', search: '' } as UserFilters);
  const [draft, setDraft] = useState<UserFilters>(list.query.filters);
  const [panel, setPanel] = useState<Panel>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const switchType = (userType: UserType) => {
    const next: UserFilters = { userType, role: '', active: '', search: '' };
    setDraft(next);
    setPanel(null);
    list.setFilters(next);
  };
  const done = (message: string) => {
    setPanel(null);
    setNotice(message);
    list.reload();
  };
  const staff = list.query.filters.userType === 'admin';
  const columns: Column<UserInfo>[] = [
    { key: 'username', title: t('username'), render: (user) => <span data-testid="user-name">{user.username}</span> },
    { key: 'displayName', title: t('displayName'), render: (user) => user.displayName },
    { key: 'email', title: t('email'), render: (user) => user.email },
    staff
      ? { key: 'role', title: t('role'), render: (user) => <span className={user.role === 'admin' ? 'badge orange' : 'badge'}>{t(`role_${user.role}`)}</span> }
      : { key: 'customer', title: t('customer'), render: (user) => <code title={user.customerId}>{user.customerId.slice(0, 8)}</code> },
    { key: 'active', title: t('active'), render: (user) => <span className={user.isActive ? 'badge green' : 'badge red'}>{user.isActive ? t('yes') : t('no')}</span> },
    { key: 'created', title: t('created'), render: (user) => <time dateTime={user.createdAt} title={user.createdAt}>{new Date(user.createdAt).toLocaleDateString()}</time> },
    {
      key: 'actions', title: t('actions'), render: (user) => (
        <div className="row-actions" data-testid={`user-actions-${user.username}`}>
          <button type="button" onClick={() => { setNotice(null); setPanel({ kind: 'edit', user }); }}>{t('edit')}</button>
          {session.isAdmin && <button type="button" onClick={() => { setNotice(null); setPanel({ kind: 'reset', user }); }}>{t('resetPassword')}</button>}
          {session.isAdmin && <button type="button" className="danger" onClick={() => { setNotice(null); setPanel({ kind: 'delete', user }); }}>{t('delete')}</button>}
        </div>
      ),
    },
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={staff} onClick={() => switchType('admin')}>{t('staff')}</button>
        <button type="button" role="tab" aria-selected={!staff} onClick={() => switchType('customer')}>{t('customers')}</button>
      </div>
      <form className="toolbar" onSubmit={(event) => { event.preventDefault(); list.setFilters(draft); }}>
        {staff && (
          <label className="field"><span>{t('role')}</span>
            <select name="role" value={draft.role} onChange={(event) => setDraft({ ...draft, role: event.target.value })}>
              <option value="">{t('anyRole')}</option>
              <option value="admin">{t('role_admin')}</option>
              <option value="operator">{t('role_operator')}</option>
            </select>
          </label>
        )}
        <label className="field"><span>{t('active')}</span>
          <select name="active" value={draft.active} onChange={(event) => setDraft({ ...draft, active: event.target.value === 'true' ? 'true' : event.target.value === 'false' ? 'false' : '' })}>
            <option value="">{t('anyState')}</option>
            <option value="true">{t('onlyActive')}</option>
            <option value="false">{t('onlyInactive')}</option>
          </select>
        </label>
        <label className="field"><span>{t('search')}</span>
          <input name="search" value={draft.search} onChange={(event) => setDraft({ ...draft, search: event.target.value })} />
        </label>
        <button type="submit" className="primary">{t('apply')}</button>
      </form>
      {staff && session.isAdmin && <p><button type="button" onClick={() => { setNotice(null); setPanel({ kind: 'create' }); }}>{t('newUser')}</button></p>}
      {notice && <div className="ok" role="status">{notice}</div>}
      <DataTable list={list} columns={columns} rowKey={(user) => user.id} testId="user-list" />
      {panel?.kind === 'create' && session.isAdmin && <CreateAdminUser onDone={(user) => done(t('created_ok', { name: nameOf(user) }))} onCancel={() => setPanel(null)} />}
      {panel?.kind === 'edit' && <EditUser key={panel.user.id} user={panel.user} onDone={(user) => done(t('saved', { name: nameOf(user) }))} onCancel={() => setPanel(null)} />}
      {panel?.kind === 'reset' && session.isAdmin && <ResetPassword key={panel.user.id} user={panel.user} onDone={() => done(t('resetDone', { name: nameOf(panel.user) }))} onCancel={() => setPanel(null)} />}
      {panel?.kind === 'delete' && session.isAdmin && <DeleteUser key={panel.user.id} user={panel.user} onDone={() => done(t('deleted', { name: nameOf(panel.user) }))} onCancel={() => setPanel(null)} />}
    </section>
  );
}

/** UpdateUser: display name, e-mail, role (staff only) and active; only changed fields are sent. */
function EditUser({ user, onDone, onCancel }: { user: UserInfo; onDone(user: UserInfo): void; onCancel(): void }) {
  const { t } = useTranslation('users');
  const [displayName, setDisplayName] = useState(user.displayName);
  const [email, setEmail] = useState(user.email);
  const [role, setRole] = useState(user.role);
  const [active, setActive] = useState(user.isActive);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const staff = user.userType !== 'customer';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    api.identity.updateUser({
      id: user.id,
      userType: staff ? 'admin' : 'customer',
      ...(displayName !== user.displayName ? { displayName } : {}),
      ...(email !== user.email ? { email } : {}),
      ...(staff && role !== user.role ? { role } : {}),
      ...(active !== user.isActive ? { isActive: active } : {}),
    }).then((answer) => onDone(answer.user ?? user), (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  return (
    <form className="form panel" onSubmit={submit} aria-label={t('editTitle', { name: user.username })}>
      <h2>{t('editTitle', { name: user.username })}</h2>
      <Field label={t('displayName')} name="display_name" problem={problem}>
        <input name="displayName" value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
      </Field>
      <Field label={t('email')} name="email" problem={problem}>
        <input name="email" type="email" value={email} onChange={(event) => setEmail(event.target.value)} />
      </Field>
      {staff && (
        <Field label={t('role')} name="role" problem={problem}>
          <select name="role" value={role} onChange={(event) => setRole(event.target.value)}>
            <option value="admin">{t('role_admin')}</option>
            <option value="operator">{t('role_operator')}</option>
          </select>
        </Field>
      )}
      <Field label={t('active')} name="is_active" problem={problem}>
        <input name="isActive" type="checkbox" checked={active} onChange={(event) => setActive(event.target.checked)} />
      </Field>
      <FormProblem problem={problem} fields={['display_name', 'email', 'role', 'is_active']} />
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>{t('save')}</button>
        <button type="button" onClick={onCancel}>{t('cancel')}</button>
      </div>
    </form>
  );
}

/** AdminResetPassword (admins only). */
function ResetPassword({ user, onDone, onCancel }: { user: UserInfo; onDone(): void; onCancel(): void }) {
  const { t } = useTranslation('users');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    api.identity.adminResetPassword({ userId: user.id, newPassword: password })
      .then(onDone, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  return (
    <form className="form panel" onSubmit={submit} aria-label={t('resetTitle', { name: user.username })}>
      <h2>{t('resetTitle', { name: user.username })}</h2>
      <Field label={t('newPassword')} name="new_password" problem={problem}>
        <input name="newPassword" type="password" autoComplete="new-password" value={password} onChange={(event) => setPassword(event.target.value)} />
      </Field>
      <FormProblem problem={problem} fields={['new_password']} />
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>{t('reset')}</button>
        <button type="button" onClick={onCancel}>{t('cancel')}</button>
      </div>
    </form>
  );
}

/** CreateAdminUser (a NodeBill extension; admins only): a new admin or operator, the server's messages beside the fields. */
function CreateAdminUser({ onDone, onCancel }: { onDone(user: UserInfo): void; onCancel(): void }) {
  const { t } = useTranslation('users');
  const [form, setForm] = useState({ username: '', email: '', displayName: '', role: 'operator', password: '' });
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    api.identity.createAdminUser(form)
      .then((answer) => { if (answer.user) onDone(answer.user); }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });
  return (
    <form className="form panel" onSubmit={submit} aria-label={t('newUser')}>
      <h2>{t('newUser')}</h2>
      <Field label={t('username')} name="username" problem={problem}><input name="username" value={form.username} onChange={set('username')} /></Field>
      <Field label={t('email')} name="email" problem={problem}><input name="email" type="email" value={form.email} onChange={set('email')} /></Field>
      <Field label={t('displayName')} name="display_name" problem={problem}><input name="displayName" value={form.displayName} onChange={set('displayName')} /></Field>
      <Field label={t('role')} name="role" problem={problem}>
        <select name="role" value={form.role} onChange={set('role')}>
          <option value="operator">{t('role_operator')}</option>
          <option value="admin">{t('role_admin')}</option>
        </select>
      </Field>
      <Field label={t('password')} name="password" problem={problem}><input name="password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} /></Field>
      <FormProblem problem={problem} fields={['username', 'email', 'display_name', 'role', 'password']} />
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>{t('create')}</button>
        <button type="button" onClick={onCancel}>{t('cancel')}</button>
      </div>
    </form>
  );
}

/** DeleteUser (admins only), after a confirmation. */
function DeleteUser({ user, onDone, onCancel }: { user: UserInfo; onDone(): void; onCancel(): void }) {
  const { t } = useTranslation('users');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = () => {
    setBusy(true);
    setProblem(null);
    api.identity.deleteUser({ id: user.id }).then(onDone, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  return (
    <div className="panel warning" role="dialog" aria-label={t('deleteTitle', { name: user.username })}>
      <h2>{t('deleteTitle', { name: user.username })}</h2>
      <p>{t('deleteWarning')}</p>
      <FormProblem problem={problem} fields={[]} />
      <div className="row-actions">
        <button type="button" className="danger" disabled={busy} onClick={confirm}>{t('confirmDelete')}</button>
        <button type="button" onClick={onCancel}>{t('cancel')}</button>
      </div>
    </div>
  );
}
