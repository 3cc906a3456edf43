import { NotYet } from './placeholder.tsx';

/** The Plugins screen (not built yet). */
export default function PluginsPage() {
  return <NotYet title="plugins" />;
}
