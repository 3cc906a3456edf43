/**
 * A product's page with its order form (`/products/:id`, issue 13). ProductService/GetProduct is
 * public: signed out, the page shows the product, its plan and its prices per billing cycle, and a
 * "Sign in to order" link that comes back here. Signed in, the provider's `spec_template`
 * (IntegrationService/ListProviders — the provider whose interface_id is the product's) becomes the
 * form ({@link SpecForm}; starting values: the product's `specs[key]`, else the field's default),
 * with the billing cycle, a promotion code and notes.
 *
 * The price is the server's: IntegrationService/QueryPrice with the NodeBill product-quote fields
 * (`product_id`, `billing_cycle`, `promotion_code`; integration.proto QueryPriceRequest 30–32) and
 * the spec, asked ~300 ms after the last change; `amount` is the total, and the breakdown
 * (`base_amount`, `spec_amount`, `discount_amount`, `tax_amount`, when the server sends them) shows
 * under it. A refusal naming `server_spec.<key>` shows beside that field, one about the promotion
 * code beside the code.
 *
 * "Continue to checkout" places the order (OrderService/CreateOrder for the customer itself, no
 * gateway = pay later, with an idempotency key kept while the same order is retried) and goes to
 * `/orders/<id>`, where the customer pays.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Code } from '@connectrpc/connect';
import type { ProviderInfo } from '../../../../../src/gen/rustbill/integration_pb.ts';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';
import { api, idempotent, newActionKey, problemOf, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { useSession } from '../../session.tsx';
import { CycleName, ErrorBox, Loading, PageTitle } from '../../ui/page.tsx';
import { formatMoney } from '../../money.ts';
import { Money } from '../../../../shared/format.tsx';
import { SpecForm, type FieldProblem } from './SpecForm.tsx';
import { fieldOfProblem, productCycles, serverSpecOf, specSections, startingValues, templateKeys } from './spec.ts';
import './strings.ts';
import './shop.css';

/** How long the form waits after the last change before asking for a price (ms). */
const QUOTE_DELAY_MS = 300;

/** A price the server quoted (decimal strings; the breakdown only when the server sends it). */
interface Quote {
  amount: string;
  currency: string;
  billingCycle: string;
  baseAmount?: string;
  specAmount?: string;
  discountAmount?: string;
  taxAmount?: string;
}

/** True for a decimal string that is not zero. */
function nonZero(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '' && !/^[+-]?0*(\.0*)?$/.test(value.trim());
}

/** The product page. */
export function ProductPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('shop');
  const friendly = useFriendly();
  const session = useSession();
  const [product, setProduct] = useState<ProductInfo | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    setError(null);
    setMissing(false);
    api.products.getProduct({ id }).then(
      (answer) => { if (live) setProduct(answer.product ?? null); },
      (failure: unknown) => {
        if (!live) return;
        const code = problemOf(failure).code;
        if (code === Code.NotFound || code === Code.InvalidArgument) setMissing(true);
        else setError(friendly(failure).message);
      },
    );
    return () => { live = false; };
  }, [id, friendly, version]);

  if (missing) {
    return (
      <section>
        <PageTitle>{t('productNotFound')}</PageTitle>
        <Link to="/">{t('backToStore')}</Link>
      </section>
    );
  }
  if (!product) return <section><ErrorBox message={error} onRetry={() => setVersion((v) => v + 1)} />{!error && <Loading />}</section>;
  return (
    <section className="product-page">
      <p className="crumbs"><Link to="/">{t('storeTitle')}</Link> › <span>{product.name}</span></p>
      <PageTitle>{product.name}</PageTitle>
      {product.description && <p className="product-description">{product.description}</p>}
      {session.loading ? <Loading /> : session.user ? <OrderForm product={product} customerId={session.user.customerId} /> : <SignedOutOffer product={product} />}
    </section>
  );
}

/** Signed out: the plan, the prices per cycle and the way to sign in (back to this page). */
function SignedOutOffer({ product }: { product: ProductInfo }) {
  const { t } = useTranslation('shop');
  const specs = planFacts(product.specs);
  return (
    <div className="split">
      <div className="panel">
        {specs.length > 0 && (
          <>
            <h2>{t('plan')}</h2>
            <dl className="facts" data-testid="product-specs">
              {specs.map(([key, value]) => <SpecFact key={key} name={key} value={value} />)}
            </dl>
          </>
        )}
        <h2>{t('prices')}</h2>
        <PriceList product={product} />
      </div>
      <aside className="panel summary">
        <p>{t('signInHint')}</p>
        <Link className="button primary wide" to={`/login?next=${encodeURIComponent(`/products/${product.id}`)}`}>{t('signInToOrder')}</Link>
      </aside>
    </div>
  );
}

/** The known keys of a plan, in the order they are shown, with the unit of their value. */
const PLAN_KEYS: ReadonlyArray<[string, string]> = [['cpu_cores', 'cores'], ['memory_gb', 'GB'], ['disk_gb', 'GB'], ['bandwidth_mbps', 'Mbps'], ['region', ''], ['os', '']];

/** A product's `specs` as shown: the known keys first (in {@link PLAN_KEYS} order), then the others by name; empty values left out. */
function planFacts(specs: Readonly<Record<string, string>>): Array<[string, string]> {
  const known = PLAN_KEYS.map(([key]) => key);
  const rest = Object.keys(specs).filter((key) => !known.includes(key)).sort();
  return [...known, ...rest].filter((key) => (specs[key] ?? '').trim() !== '').map((key) => [key, specs[key] ?? '']);
}

/** One entry of a product's plan (`cpu_cores` "2" → "CPU  2 cores"). */
function SpecFact({ name, value }: { name: string; value: string }) {
  const { t, i18n } = useTranslation('shop');
  const unit = PLAN_KEYS.find(([key]) => key === name)?.[1] ?? '';
  const label = i18n.exists(`shop:planKey.${name}`) ? t(`planKey.${name}`) : name.replace(/_/g, ' ');
  return <div className="fact-row"><dt>{label}</dt><dd>{value}{unit && /^\d+$/.test(value) ? ` ${unit}` : ''}</dd></div>;
}

/** The price of each billing cycle the product is offered in. */
function PriceList({ product }: { product: ProductInfo }) {
  return (
    <dl className="facts" data-testid="product-prices">
      {productCycles(product).map((entry) => (
        <div key={entry.cycle} className="fact-row">
          <dt><CycleName cycle={entry.cycle} /></dt>
          <dd><Money value={entry.price} /></dd>
        </div>
      ))}
    </dl>
  );
}

/** Signed in: the configuration, the live price and checkout. */
function OrderForm({ product, customerId }: { product: ProductInfo; customerId: string }) {
  const { t } = useTranslation('shop');
  const friendly = useFriendly();
  const navigate = useNavigate();
  const [provider, setProvider] = useState<ProviderInfo | null | undefined>(undefined);
  const [providerError, setProviderError] = useState<string | null>(null);
  const [providerVersion, setProviderVersion] = useState(0);
  const [values, setValues] = useState<Record<string, string> | null>(null);
  const cycles = useMemo(() => productCycles(product), [product]);
  const [cycle, setCycle] = useState(cycles[0]?.cycle ?? 'monthly');
  const [promotionCode, setPromotionCode] = useState('');
  const [notes, setNotes] = useState('');
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteProblem, setQuoteProblem] = useState<ApiProblem | null>(null);
  const [quoting, setQuoting] = useState(false);
  const [orderProblem, setOrderProblem] = useState<ApiProblem | null>(null);
  const [placing, setPlacing] = useState(false);
  /** The idempotency key of the order being placed, kept while the same order is retried. */
  const orderKey = useRef<{ request: string; key: string } | null>(null);

  useEffect(() => {
    let live = true;
    setProviderError(null);
    api.integration.listProviders({}).then(
      (answer) => {
        if (!live) return;
        const found = answer.providers.find((entry) => entry.interfaceId === product.interfaceId) ?? null;
        setProvider(found);
        setValues(startingValues(found?.specTemplate, product));
      },
      (failure: unknown) => { if (live) setProviderError(friendly(failure).message); },
    );
    return () => { live = false; };
  }, [product, friendly, providerVersion]);

  const sections = useMemo(() => specSections(provider?.specTemplate), [provider]);
  const keys = useMemo(() => templateKeys(provider?.specTemplate), [provider]);
  const spec = useMemo(() => (values ? serverSpecOf(values, keys) : null), [values, keys]);

  // The live price: asked QUOTE_DELAY_MS after the last change; a later answer replaces an earlier one only.
  useEffect(() => {
    if (!spec || provider === undefined) return;
    let live = true;
    setQuoting(true);
    const timer = window.setTimeout(() => {
      const code = promotionCode.trim();
      api.integration.queryPrice({
        interfaceId: product.interfaceId, productId: product.id, billingCycle: cycle, ...(code !== '' ? { promotionCode: code } : {}), ...spec,
      }).then(
        (answer) => {
          if (!live) return;
          setQuote({
            amount: answer.amount, currency: answer.currency, billingCycle: answer.billingCycle || cycle,
            ...(answer.baseAmount !== undefined ? { baseAmount: answer.baseAmount } : {}),
            ...(answer.specAmount !== undefined ? { specAmount: answer.specAmount } : {}),
            ...(answer.discountAmount !== undefined ? { discountAmount: answer.discountAmount } : {}),
            ...(answer.taxAmount !== undefined ? { taxAmount: answer.taxAmount } : {}),
          });
          setQuoteProblem(null);
        },
        (failure: unknown) => {
          if (!live) return;
          setQuote(null);
          setQuoteProblem(friendly(failure));
        },
      ).finally(() => { if (live) setQuoting(false); });
    }, QUOTE_DELAY_MS);
    return () => { live = false; window.clearTimeout(timer); };
  }, [spec, cycle, promotionCode, product, provider, friendly]);

  if (providerError) return <ErrorBox message={providerError} onRetry={() => setProviderVersion((v) => v + 1)} />;
  if (provider === undefined || !values || !spec) return <Loading />;
  if (provider === null && product.interfaceId !== '') {
    // The product's provider is not (or no longer) enabled: nothing can be ordered.
    return <div className="split"><div className="panel"><PriceList product={product} /></div><aside className="panel summary"><p>{t('providerMissing')}</p></aside></div>;
  }

  const problem = orderProblem ?? quoteProblem;
  const fieldKey = problem ? fieldOfProblem(problem.field, keys) : null;
  const fieldProblem: FieldProblem | null = problem && fieldKey ? { key: fieldKey, message: problem.message } : null;
  const aboutCode = problem !== null && (problem.field === 'promotion_code' || /^promotion[ _]code/i.test(problem.message));
  const aboutCycle = problem !== null && problem.field === 'billing_cycle';
  const elsewhere = problem !== null && fieldProblem === null && !aboutCode && !aboutCycle;

  const change = (key: string, value: string) => {
    setOrderProblem(null);
    setValues((current) => ({ ...(current ?? {}), [key]: value }));
  };

  const checkout = (event: FormEvent) => {
    event.preventDefault();
    const code = promotionCode.trim();
    const request = {
      customerId, productId: product.id, providerInterfaceId: product.interfaceId, serverSpec: spec, billingCycle: cycle,
      currency: '', gatewayInterfaceId: '', notes: notes.trim(), ...(code !== '' ? { promotionCode: code } : {}),
    };
    const fingerprint = JSON.stringify(request);
    if (orderKey.current?.request !== fingerprint) orderKey.current = { request: fingerprint, key: newActionKey() };
    setPlacing(true);
    setOrderProblem(null);
    api.orders.createOrder(request, idempotent(orderKey.current.key)).then(
      (answer) => {
        orderKey.current = null;
        navigate(`/orders/${answer.order?.id ?? ''}`);
      },
      (failure: unknown) => setOrderProblem(friendly(failure)),
    ).finally(() => setPlacing(false));
  };

  return (
    <form className="split order-form" onSubmit={checkout} noValidate>
      <div className="panel">
        <h2>{t('configureTitle')}</h2>
        {sections.length === 0
          ? <p className="muted">{t('noTemplate')}</p>
          : <SpecForm sections={sections} values={values} onChange={change} problem={fieldProblem} />}
        <fieldset className={aboutCycle ? 'field cycles invalid' : 'field cycles'}>
          <legend>{t('billingCycle')}</legend>
          {cycles.map((entry) => (
            <label key={entry.cycle} className={cycle === entry.cycle ? 'spec-choice chosen' : 'spec-choice'}>
              <input type="radio" name="billing-cycle" value={entry.cycle} checked={cycle === entry.cycle} onChange={() => { setOrderProblem(null); setCycle(entry.cycle); }} />
              <span className="spec-choice-name"><CycleName cycle={entry.cycle} /></span>
              <span className="spec-price">{t('cyclePrice', { price: formatMoney(entry.price) })}</span>
            </label>
          ))}
          {aboutCycle && problem && <span className="field-error" role="alert">{problem.message}</span>}
        </fieldset>
        <div className={aboutCode ? 'field invalid' : 'field'}>
          <label htmlFor="promotion-code"><span>{t('promotionCode')}</span></label>
          <input id="promotion-code" name="promotion-code" autoComplete="off" value={promotionCode} maxLength={64} aria-describedby="promotion-hint"
            onChange={(event) => { setOrderProblem(null); setPromotionCode(event.target.value); }} />
          <span id="promotion-hint" className="hint-line">{t('promotionHint')}</span>
          {aboutCode && problem && <span className="field-error" role="alert" data-field="promotion_code">{problem.message}</span>}
        </div>
        <div className="field">
          <label htmlFor="order-notes"><span>{t('notes')}</span></label>
          <textarea id="order-notes" name="notes" maxLength={2000} rows={3} value={notes} onChange={(event) => setNotes(event.target.value)} />
        </div>
      </div>
      <aside className="panel summary" aria-labelledby="summary-title">
        <h2 id="summary-title">{t('summary')}</h2>
        <QuoteView quote={quote} cycle={cycle} />
        <p className="muted quote-state" role="status" aria-live="polite">{quoting ? t('quoting') : ''}</p>
        {elsewhere && problem && <div className="error" role="alert" data-testid="quote-problem">{quote === null && !orderProblem ? `${t('quoteFailed')} ${problem.message}` : problem.message}</div>}
        <button type="submit" className="primary wide" disabled={placing}>{placing ? t('creatingOrder') : t('checkout')}</button>
        <p className="hint-line">{t('checkoutHint')}</p>
      </aside>
    </form>
  );
}

/** The quoted total and its breakdown. */
function QuoteView({ quote, cycle }: { quote: Quote | null; cycle: string }) {
  const { t } = useTranslation('shop');
  const { t: common } = useTranslation();
  if (!quote) return <p className="total muted">—</p>;
  const cycleName = common(`cycle.${quote.billingCycle || cycle}`, { defaultValue: quote.billingCycle || cycle }).toLowerCase();
  return (
    <div className="quote" data-testid="quote">
      <p className="total" data-testid="quote-total" data-amount={quote.amount}><Money value={quote.amount} currency={quote.currency} /></p>
      <p className="muted">{t('perPeriod', { cycle: cycleName })}</p>
      <dl className="facts quote-lines">
        {quote.baseAmount !== undefined && <><dt>{t('base')}</dt><dd data-testid="quote-base"><Money value={quote.baseAmount} /></dd></>}
        {nonZero(quote.specAmount) && <><dt>{t('specExtra')}</dt><dd data-testid="quote-spec">{quote.specAmount.startsWith('-') ? '' : '+'}<Money value={quote.specAmount} /></dd></>}
        {nonZero(quote.discountAmount) && <><dt>{t('discount')}</dt><dd data-testid="quote-discount">−<Money value={quote.discountAmount.replace(/^-/, '')} /></dd></>}
        {nonZero(quote.taxAmount) && <><dt>{t('tax')}</dt><dd data-testid="quote-tax"><Money value={quote.taxAmount} /></dd></>}
      </dl>
    </div>
  );
}
