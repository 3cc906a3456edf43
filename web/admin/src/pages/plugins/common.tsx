/** Pieces the Plugins screens share: plugin types, the health badge, the health-check result. */
import { useTranslation } from 'react-i18next';
import type { CheckPluginHealthResponse, PluginInterfaceInfo } from '../../../../../src/gen/rustbill/integration_pb.ts';
import { Time } from '../../../../shared/format.tsx';

/** The plugin types, as the server names them. */
export const PLUGIN_TYPES = ['first_party_provider', 'upstream_provider', 'gateway', 'notifier'] as const;

/** An interface's health as last checked: healthy, unhealthy (with the error) or never checked. */
export function HealthBadge({ row }: { row: Pick<PluginInterfaceInfo, 'isHealthy' | 'lastCheckAt' | 'healthError'> }) {
  const { t } = useTranslation('plugins');
  const checked = row.lastCheckAt !== undefined && row.lastCheckAt !== '';
  if (!checked) return <span className="badge" data-health="unchecked">{t('unchecked')}</span>;
  return row.isHealthy
    ? <span className="badge green" data-health="healthy">{t('healthy')}</span>
    : <span className="badge red" data-health="unhealthy" title={row.healthError ?? ''}>{t('unhealthy')}</span>;
}

/** Enabled or disabled. */
export function EnabledBadge({ enabled }: { enabled: boolean }) {
  const { t } = useTranslation('plugins');
  return enabled ? <span className="badge green" data-enabled="true">{t('enabled')}</span> : <span className="badge" data-enabled="false">{t('disabled')}</span>;
}

/** What CheckPluginHealth answered, for the interface named `name`. */
export function HealthResult({ name, result }: { name: string; result: CheckPluginHealthResponse }) {
  const { t } = useTranslation('plugins');
  const time = result.checkedAt ? new Date(result.checkedAt).toLocaleString() : '';
  const verdict = result.isHealthy ? t('healthy') : t('unhealthy');
  return (
    <div className={result.isHealthy ? 'ok' : 'error'} role="status" data-testid="health-result" data-healthy={String(result.isHealthy)}>
      <strong>{name}</strong>: {result.error
        ? t('healthResultError', { time, result: verdict, error: result.error })
        : t('healthResult', { time, result: verdict })}
    </div>
  );
}

/** The last check of an interface: time and error. */
export function LastCheck({ row }: { row: Pick<PluginInterfaceInfo, 'lastCheckAt' | 'healthError'> }) {
  return (
    <>
      <Time value={row.lastCheckAt ?? ''} />
      {row.healthError ? <div className="field-error" data-testid="health-error">{row.healthError}</div> : null}
    </>
  );
}
