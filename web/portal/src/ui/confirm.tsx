/**
 * A confirmation before an action that cannot be undone (terminate, cancel, revoke): a modal
 * `<dialog>` — focus moves into it, Escape cancels, Tab stays inside — with the question in words.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Shown while `open`; `onConfirm` or `onCancel` closes it (the caller clears `open`).
 * @param danger styles the confirm button as destructive
 */
export function ConfirmDialog({ open, title, children, confirmLabel, danger, busy, onConfirm, onCancel }: {
  open: boolean; title: ReactNode; children?: ReactNode; confirmLabel?: ReactNode; danger?: boolean; busy?: boolean;
  onConfirm: () => void; onCancel: () => void;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="confirm-title" onCancel={(event) => { event.preventDefault(); onCancel(); }}>
      <h2 id="confirm-title">{title}</h2>
      {children && <div className="dialog-body">{children}</div>}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel} autoFocus>{t('cancel')}</button>
        <button type="button" className={danger ? 'danger solid' : 'primary'} disabled={busy} onClick={onConfirm}>{confirmLabel ?? t('confirm')}</button>
      </div>
    </dialog>
  );
}
