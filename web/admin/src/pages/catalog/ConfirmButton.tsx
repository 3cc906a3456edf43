/** A dangerous button that asks once more in place (no browser dialog) before it acts. */
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** Shows `children`; the first click turns it into "Really delete?" + Cancel, the second acts. */
export function ConfirmButton({ children, onConfirm, disabled }: { children: ReactNode; onConfirm(): void; disabled?: boolean }) {
  const { t } = useTranslation('catalog');
  const [asking, setAsking] = useState(false);
  if (!asking) return <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>{children}</button>;
  return (
    <span className="confirm">
      <button type="button" className="danger" disabled={disabled} onClick={() => { setAsking(false); onConfirm(); }}>{t('confirmDelete')}</button>{' '}
      <button type="button" onClick={() => setAsking(false)}>{t('cancel', { ns: 'common' })}</button>
    </span>
  );
}
