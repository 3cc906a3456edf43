/**
 * Pieces shared by the Orders, Payments and Instances screens: status badges, a confirmation
 * dialog, the names of plugin interfaces (providers and gateways), and the idempotency key a
 * money-moving call carries (a repeated click answers the first outcome instead of acting twice).
 */
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { registerStrings } from '../../i18n.ts';
import './orders.css';

registerStrings('ordersShared', {
  en: {
    balance: 'Account balance', close: 'Close', working: 'Working…',
    pending: 'pending', paid: 'paid', provisioning: 'provisioning', active: 'active', cancelled: 'cancelled', suspended: 'suspended',
    refunded: 'refunded', completed: 'completed', success: 'success', failed: 'failed', running: 'running', stopped: 'stopped',
    terminated: 'terminated', error: 'error',
  },
  zh: {
    balance: '账户余额', close: '关闭', working: '处理中…',
    pending: '待支付', paid: '已支付', provisioning: '开通中', active: '运行中', cancelled: '已取消', suspended: '已暂停',
    refunded: '已退款', completed: '已完成', success: '成功', failed: '失败', running: '运行中', stopped: '已停止',
    terminated: '已销毁', error: '错误',
  },
});

/** The built-in balance method's interface id (README "Orders, payments and provisioning"). */
export const BALANCE_METHOD_ID = '00000000-0000-7000-8000-000000000001';

/** The header that makes a retried call answer its first outcome. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** A fresh idempotency key for one intended action. */
export function newActionKey(): string {
  // crypto.randomUUID exists only in secure contexts; getRandomValues everywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const COLOURS: Record<string, string> = {
  active: 'green', running: 'green', success: 'green', paid: 'green', completed: '',
  pending: 'yellow', provisioning: 'yellow', suspended: 'orange', stopped: 'orange',
  cancelled: 'red', refunded: 'red', failed: 'red', terminated: 'red', error: 'red',
};

/** A status word (order, payment or instance) as a coloured badge in the UI language; `data-status` keeps the server's word. */
export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation('ordersShared');
  return <span className={`badge ${COLOURS[status] ?? ''}`} data-status={status}>{t(status, { defaultValue: status })}</span>;
}

/** The first 8 characters of a UUID, the whole id in the tooltip. */
export function ShortId({ id }: { id: string }) {
  if (id === '') return <span className="muted">—</span>;
  return <span className="mono" title={id}>{id.slice(0, 8)}</span>;
}

/**
 * A modal confirmation: `children` say what will happen; Confirm runs `onConfirm` (the dialog
 * shows "working" meanwhile and stays open showing the server's words when it is refused).
 */
export function ConfirmDialog({ title, children, confirmLabel, danger, busy, onConfirm, onClose }: {
  title: string; children: ReactNode; confirmLabel: string; danger?: boolean; busy: boolean; onConfirm(): void; onClose(): void;
}) {
  const { t } = useTranslation('ordersShared');
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-label={title}>
        <h2>{title}</h2>
        {children}
        <div className="actions">
          <button type="button" onClick={onClose} disabled={busy}>{t('close')}</button>
          <button type="button" className={danger ? 'danger' : 'primary'} onClick={onConfirm} disabled={busy}>{busy ? t('working') : confirmLabel}</button>
        </div>
      </div>
    </div>
  );
}

/** A plugin interface as the lists name it. */
export interface InterfaceName {
  id: string;
  name: string;
  type: string;
}

/**
 * The plugin interfaces (providers and gateways, with the balance method) by id, for filters and
 * names in lists; empty until loaded (and when the server refuses, the lists show ids instead).
 */
export function useInterfaces(): InterfaceName[] {
  const { t } = useTranslation('ordersShared');
  const [list, setList] = useState<InterfaceName[]>([]);
  useEffect(() => {
    let live = true;
    api.integration.listPluginInterfaces({}).then(
      (answer) => { if (live) setList(answer.interfaces.map((entry) => ({ id: entry.id, name: entry.displayName || entry.pluginId, type: entry.pluginType }))); },
      () => undefined,
    );
    return () => { live = false; };
  }, []);
  return [{ id: BALANCE_METHOD_ID, name: t('balance'), type: 'gateway' }, ...list];
}

/** The name of interface `id` in `list`, else its short id. */
export function InterfaceLabel({ id, list }: { id: string; list: InterfaceName[] }) {
  const found = list.find((entry) => entry.id === id);
  return found ? <span title={id}>{found.name}</span> : <ShortId id={id} />;
}

/** True for provider interface types (first-party and upstream). */
export function isProviderType(type: string): boolean {
  return type === 'first_party_provider' || type === 'upstream_provider';
}
