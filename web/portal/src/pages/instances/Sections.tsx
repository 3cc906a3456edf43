/**
 * The provider's detail sections of a server (GetInstance `sections`, README "Instances"), in
 * their `order`: key/value `fields` as a definition list; `data_json` (an object) as a card of its
 * keys and values; `content_html` in an `<iframe srcDoc sandbox="allow-scripts">` (never put into
 * the page: it cannot reach the portal's origin, storage or tokens); `iframe_url` (http/https only)
 * in an `<iframe src>`, sandboxed without same-origin access when it points at the portal's origin.
 */
import { useTranslation } from 'react-i18next';
import type { InstanceDetailSection } from '../../../../../src/gen/rustbill/instance_pb.ts';

/** All sections of a server, each in a panel under its title. */
export function Sections({ sections }: { sections: InstanceDetailSection[] }) {
  const { t } = useTranslation('instances');
  if (sections.length === 0) return <p className="muted">{t('noSections')}</p>;
  return (
    <div className="instance-sections" data-testid="instance-sections">
      {[...sections].sort((a, b) => a.order - b.order).map((section, index) => (
        <section className="panel" key={`${section.title}-${index}`} aria-label={section.title || undefined} data-kind={section.kind}>
          {section.title && <h3>{section.title}</h3>}
          <SectionBody section={section} />
        </section>
      ))}
    </div>
  );
}

/** A JSON value read from data_json. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

function isRecord(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One section's content, by what the provider sent (see the file comment for the order). */
function SectionBody({ section }: { section: InstanceDetailSection }) {
  if (section.fields.length > 0) {
    return (
      <dl className="facts">
        {section.fields.map((field, index) => <Pair key={`${field.key}-${index}`} name={field.key} value={field.value} />)}
      </dl>
    );
  }
  const data = section.dataJson ? parseJson(section.dataJson) : undefined;
  if (isRecord(data)) return <DataCard data={data} depth={0} />;
  if (section.contentHtml) {
    // The provider's HTML runs in an opaque origin: scripts yes, the portal's storage and DOM no.
    return <iframe className="section-frame" title={section.title || section.kind} sandbox="allow-scripts" srcDoc={section.contentHtml} />;
  }
  if (section.iframeUrl && /^https?:\/\//i.test(section.iframeUrl)) {
    const sameOrigin = new URL(section.iframeUrl).origin === window.location.origin;
    return (
      <iframe className="section-frame tall" title={section.title || section.kind} src={section.iframeUrl} referrerPolicy="no-referrer"
        sandbox={sameOrigin ? 'allow-scripts allow-forms' : 'allow-scripts allow-forms allow-same-origin'} />
    );
  }
  if (data !== undefined) return <p className="mono">{typeof data === 'string' ? data : JSON.stringify(data)}</p>;
  return null;
}

function Pair({ name, value }: { name: string; value: string }) {
  return <><dt>{name}</dt><dd>{value === '' ? '—' : value}</dd></>;
}

/** An object's keys and values; nested objects one level deeper, deeper ones as text. */
function DataCard({ data, depth }: { data: { [key: string]: Json }; depth: number }) {
  return (
    <dl className="facts data-card">
      {Object.entries(data).map(([key, value]) => (
        <DataRow key={key} name={key} value={value} depth={depth} />
      ))}
    </dl>
  );
}

function DataRow({ name, value, depth }: { name: string; value: Json; depth: number }) {
  let shown;
  if (isRecord(value) && depth < 1) shown = <DataCard data={value} depth={depth + 1} />;
  else if (Array.isArray(value)) shown = value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ');
  else if (typeof value === 'string') shown = value === '' ? '—' : value;
  else shown = JSON.stringify(value);
  return <><dt>{name}</dt><dd>{shown}</dd></>;
}
