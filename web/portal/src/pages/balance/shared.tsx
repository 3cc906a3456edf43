/**
 * Pieces the account screens (balance, invoices, support) share: a pager under a server list,
 * a money-amount check as the server's (positive, at most 2 decimals), absolute return URLs for
 * gateways, and the watch of a started gateway payment (PaymentService/GetPayment polled until it
 * leaves `pending`), remembered across the trip to the gateway's page in sessionStorage
 * ({@link useGatewayReturn}).
 */
import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api } from '../../api.ts';

/**
 * Why `text` is not an amount the server takes for a recharge (`parseMoney`, allowZero false):
 * `format` (not a decimal with at most 2 places), `positive` (zero), or null when it is fine.
 */
export function amountProblem(text: string): 'format' | 'positive' | null {
  const trimmed = text.trim();
  if (!/^(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?$/.test(trimmed)) return 'format';
  return /^0(?:\.0{1,2})?$/.test(trimmed) ? 'positive' : null;
}

/** The absolute URL of a portal path (gateways send the payer back there). */
export function portalUrl(path: string): string {
  return new URL(path, window.location.origin).toString();
}

/** A gateway payment the customer was sent away to pay. */
export interface PendingPayment {
  paymentId: string;
  /** What it pays: a recharge, or the invoice of that id. */
  kind: 'recharge' | 'invoice';
  /** The invoice id for `invoice`; '' for a recharge. */
  target: string;
  /** Decimal string. */
  amount: string;
}

const PENDING_KEY = 'nodebill.pendingPayment';

/** Remembers the payment the browser is about to leave for (read back on return). */
export function rememberPendingPayment(pending: PendingPayment): void {
  window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

/** The remembered payment of `kind` (and `target`), if any. */
export function pendingPayment(kind: PendingPayment['kind'], target = ''): PendingPayment | null {
  try {
    const value: unknown = JSON.parse(window.sessionStorage.getItem(PENDING_KEY) ?? 'null');
    if (typeof value !== 'object' || value === null) return null;
    const entry = value as Partial<PendingPayment>;
    if (entry.kind !== kind || entry.target !== target || typeof entry.paymentId !== 'string' || typeof entry.amount !== 'string') return null;
    return { paymentId: entry.paymentId, kind, target, amount: entry.amount };
  } catch {
    return null;
  }
}

/** Forgets the remembered payment. */
export function forgetPendingPayment(): void {
  window.sessionStorage.removeItem(PENDING_KEY);
}

/**
 * Asks for the payment's status now and then every `intervalMs` ms while it is `pending`, at most
 * `tries` times. `status` is the last answer (`pending` / `success` / `failed` / …, null before the
 * first), `watching` false once it settled or the tries ran out. Nothing happens for a null id.
 */
export function usePaymentWatch(paymentId: string | null, tries: number, intervalMs: number): { status: string | null; watching: boolean } {
  const [status, setStatus] = useState<string | null>(null);
  const [watching, setWatching] = useState(false);
  useEffect(() => {
    setStatus(null);
    setWatching(paymentId !== null);
    if (paymentId === null) return;
    let live = true;
    let left = tries;
    let timer = 0;
    const again = () => {
      left -= 1;
      if (left <= 0) setWatching(false);
      else timer = window.setTimeout(check, intervalMs);
    };
    const check = () => {
      api.payments.getPayment({ id: paymentId }).then((answer) => {
        if (!live) return;
        const now = answer.payment?.status ?? '';
        setStatus(now);
        if (now !== 'pending') setWatching(false);
        else again();
      }, () => { if (live) again(); });
    };
    check();
    return () => { live = false; window.clearTimeout(timer); };
  }, [paymentId, tries, intervalMs]);
  return { status, watching };
}

/**
 * The gateway payment a screen watches (balance recharges, invoices): back from the gateway
 * (`?returned=1`) it is the remembered payment of `kind`/`target`, and the query is dropped;
 * `setWatched` starts watching one shown here (QR code, instructions). When the payment leaves
 * `pending` it is forgotten and `onSettled(status)` runs once.
 */
export function useGatewayReturn(kind: PendingPayment['kind'], target: string, onSettled: (status: string) => void): {
  watched: PendingPayment | null;
  setWatched: (pending: PendingPayment | null) => void;
  watch: { status: string | null; watching: boolean };
} {
  const [params, setParams] = useSearchParams();
  const [watched, setWatched] = useState<PendingPayment | null>(() => (params.get('returned') !== null ? pendingPayment(kind, target) : null));
  const watch = usePaymentWatch(watched?.paymentId ?? null, 12, 2000);
  const settled = useRef(onSettled);
  settled.current = onSettled;
  useEffect(() => {
    // Back from the gateway: drop its query parameters (the watch keeps the payment).
    if (params.get('returned') !== null) setParams({}, { replace: true });
  }, [params, setParams]);
  useEffect(() => {
    if (watch.status === null || watch.status === 'pending') return;
    forgetPendingPayment();
    settled.current(watch.status);
  }, [watch.status]);
  return { watched, setWatched, watch };
}
