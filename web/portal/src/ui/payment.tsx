/**
 * Paying (checkout, invoices, recharge): {@link usePayMethods} lists the ways to pay
 * (IntegrationService/ListGateways — the balance method first — and GetBalance for the balance and
 * credit), {@link PayMethodPicker} lets the customer choose one, {@link PaymentNext} shows what a
 * gateway asks for next: its payment page (the browser goes there), its QR code, or its
 * instructions. Money stays the server's decimal strings (../money.ts).
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import QRCode from 'qrcode';
import { api, BALANCE_METHOD_ID } from '../api.ts';
import { useFriendly } from '../friendly.ts';
import { registerStrings } from '../i18n.ts';
import { Money } from '../../../shared/format.tsx';
import { addMoney, formatMoney, moneyAtLeast } from '../money.ts';

registerStrings('pay', {
  en: {
    methods: 'How would you like to pay?', fromBalance: 'Balance', balanceLine: 'Balance {{balance}} · credit {{credit}} · available {{available}}',
noGateways: 'No online payment method is set up yet. Contact support to pay another way.',
    openPage: 'Continue to the payment page', scan: 'Scan this code with your payment app:', instructions: 'How to pay',
    afterPaying: 'When you have paid, this page updates by itself.',
  },
  zh: {
    methods: '选择支付方式', fromBalance: '余额支付', balanceLine: '余额 {{balance}} · 信用额度 {{credit}} · 可用 {{available}}',
noGateways: '尚未配置在线支付方式，请联系客服以其他方式付款。',
    openPage: '前往支付页面', scan: '请使用支付 App 扫描二维码：', instructions: '支付说明',
    afterPaying: '支付完成后，本页面会自动更新。',
  },
});

/** One way to pay: the balance method or a gateway interface. */
export interface PayMethod {
  id: string;
  name: string;
  isBalance: boolean;
  healthy: boolean;
}

/** The customer's balance figures (decimal strings); `available` = balance + credit limit. */
export interface BalanceFigures {
  balance: string;
  creditLimit: string;
  available: string;
}

/**
 * The ways to pay and the balance, loaded once.
 * @param includeBalance false for a recharge (the balance cannot pay into itself)
 */
export function usePayMethods(includeBalance = true): { methods: PayMethod[]; balance: BalanceFigures | null; error: string | null; loading: boolean; reload(): void } {
  const friendly = useFriendly();
  const [methods, setMethods] = useState<PayMethod[]>([]);
  const [balance, setBalance] = useState<BalanceFigures | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    Promise.all([api.integration.listGateways({}), api.balance.getBalance({})]).then(([gateways, figures]) => {
      if (!live) return;
      setMethods(gateways.gateways
        .map((gateway) => ({ id: gateway.gatewayId, name: gateway.gatewayName, isBalance: gateway.gatewayId === BALANCE_METHOD_ID, healthy: gateway.isHealthy }))
        .filter((method) => includeBalance || !method.isBalance));
      setBalance({ balance: figures.balance, creditLimit: figures.creditLimit, available: addMoney(figures.balance, figures.creditLimit) });
      setError(null);
    }, (failure: unknown) => { if (live) setError(friendly(failure).message); }).finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
  }, [includeBalance, friendly, version]);
  return { methods, balance, error, loading, reload: () => setVersion((v) => v + 1) };
}

/** Radio buttons of the ways to pay; the balance shows its figures. `amount` marks a short balance. */
export function PayMethodPicker({ methods, balance, value, onChange, amount }: {
  methods: PayMethod[]; balance: BalanceFigures | null; value: string; onChange: (id: string) => void; amount?: string;
}) {
  const { t } = useTranslation('pay');
  if (methods.length === 0) return <p className="muted">{t('noGateways')}</p>;
  return (
    <fieldset className="pay-methods">
      <legend>{t('methods')}</legend>
      {methods.map((method) => {
        const short = method.isBalance && balance !== null && amount !== undefined && !moneyAtLeast(balance.available, amount);
        return (
          <label key={method.id} className={value === method.id ? 'pay-method chosen' : 'pay-method'}>
            <input type="radio" name="pay-method" value={method.id} checked={value === method.id} onChange={() => onChange(method.id)} />
            <span className="pay-method-name">{method.isBalance ? t('fromBalance') : method.name}</span>
            {method.isBalance && balance && (
              <span className={short ? 'pay-method-note short' : 'pay-method-note'} data-testid="balance-line">
                {t('balanceLine', { balance: formatMoney(balance.balance), credit: formatMoney(balance.creditLimit), available: formatMoney(balance.available) })}
              </span>
            )}
          </label>
        );
      })}
    </fieldset>
  );
}

/** What a started gateway payment asks for: its QR code and/or instructions, and a link to its page. */
export function PaymentNext({ paymentUrl, qrCode, instructions, amount, currency }: { paymentUrl: string; qrCode: string; instructions: string; amount?: string; currency?: string }) {
  const { t } = useTranslation('pay');
  const [qrImage, setQrImage] = useState<string | null>(null);
  useEffect(() => {
    if (qrCode === '') { setQrImage(null); return; }
    // A gateway sends either an image (base64 / data URL) or the text to encode (usually a URL).
    if (qrCode.startsWith('data:image/')) { setQrImage(qrCode); return; }
    if (/^[A-Za-z0-9+/=\s]{200,}$/.test(qrCode)) { setQrImage(`data:image/png;base64,${qrCode.replace(/\s/g, '')}`); return; }
    let live = true;
    QRCode.toDataURL(qrCode, { margin: 1, width: 220 }).then((url) => { if (live) setQrImage(url); }, () => { if (live) setQrImage(null); });
    return () => { live = false; };
  }, [qrCode]);
  return (
    <div className="payment-next" data-testid="payment-next">
      {amount && <p className="total"><Money value={amount} currency={currency} /></p>}
      {qrImage && <><p>{t('scan')}</p><img className="qr" src={qrImage} alt="QR" width={220} height={220} /></>}
      {instructions && <div><h3>{t('instructions')}</h3><p className="instructions">{instructions}</p></div>}
      {paymentUrl && <p><a className="button primary" href={paymentUrl} data-testid="payment-link">{t('openPage')}</a></p>}
      <p className="muted">{t('afterPaying')}</p>
    </div>
  );
}
